package dev.ozworker.runtime;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.ScriptedBackend;
import dev.ozworker.kube.ClusterWithCrd;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Oz link on a real API server (kube-local in CI): assignments stored as a Secret and an
 * AgentTask the server validates, claims after both exist, a cancellation as a merge patch of
 * {@code spec.cancel}, and {@code status.reported} set by a merge patch of that field once the
 * result frame went out. Required in CI; skipped elsewhere when no KUBECONFIG is set.
 */
class OzLinkApiServerIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String API_KEY = "wk-apiserver-it";
  static final String SECRET = "ghs_apiserverITsecret992";

  @RegisterExtension static final ClusterWithCrd cluster = new ClusterWithCrd();

  String workerId;
  FakeOzServer oz;
  ScriptedBackend backend;
  WorkerRuntime worker;

  @BeforeEach
  void startWorker() throws Exception {
    workerId = "oz-it-" + UUID.randomUUID().toString().substring(0, 8);
    oz = FakeOzServer.start(API_KEY);
    backend = new ScriptedBackend();
    WorkerConfig config =
        WorkerConfigs.resolve(
            "worker_id: " + workerId + "\nnamespace: " + TestCluster.NAMESPACE,
            Map.of("WARP_API_KEY", API_KEY),
            "--backend",
            "direct",
            "--web-socket-url",
            oz.webSocketUrl().toString());
    worker =
        WorkerRuntime.start(
            cluster.client(),
            config,
            List.of(backend),
            Clock.systemUTC(),
            true,
            LinkTimings.DEFAULT);
    await().atMost(WAIT).until(() -> oz.isConnected(workerId));
  }

  /** Deletes this worker's tasks while it runs (it releases their finalizers), then its Secrets. */
  @AfterEach
  void removeWhatThisTestCreated() throws Exception {
    try {
      cluster
          .client()
          .resources(AgentTask.class)
          .inNamespace(TestCluster.NAMESPACE)
          .withLabel(AgentTaskKeys.WORKER_ID_LABEL, workerId)
          .delete();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  cluster
                      .client()
                      .resources(AgentTask.class)
                      .inNamespace(TestCluster.NAMESPACE)
                      .withLabel(AgentTaskKeys.WORKER_ID_LABEL, workerId)
                      .list()
                      .getItems()
                      .isEmpty());
    } finally {
      // Only the API server runs in CI: no garbage collector deletes the owned Secrets.
      cluster
          .client()
          .secrets()
          .inNamespace(TestCluster.NAMESPACE)
          .withLabel(AgentTaskKeys.WORKER_ID_LABEL, workerId)
          .delete();
      worker.close();
      backend.close();
      oz.close();
    }
  }

  @Test
  void anAssignmentIsStoredClaimedRunAndItsResultRecordedAsReported() throws Exception {
    String taskId = workerId + "-fails";
    backend.ends(
        taskId,
        new TaskOutcome.Failed(
            new TaskFailure(
                FailureReason.AGENT_INVOCATION,
                2,
                "oz agent exited with error: exit status 2",
                null),
            "token " + SECRET + "\n"));

    oz.assign(workerId, assignment(taskId, Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

    await().atMost(WAIT).until(() -> oz.framesAbout(taskId, "task_failed").size() == 1);
    assertThat(oz.framesAbout(taskId, "task_claimed")).hasSize(1);
    Frame failed = oz.framesAbout(taskId, "task_failed").getFirst();
    assertThat(failed.data().path("exit_code").asInt()).isEqualTo(2);
    assertThat(failed.data().path("failure_reason").asText()).isEqualTo("agent_invocation");
    await().atMost(WAIT).until(() -> Boolean.TRUE.equals(task(taskId).getStatus().getReported()));

    AgentTask task = task(taskId);
    assertThat(task.getMetadata().getLabels())
        .containsEntry(AgentTaskKeys.WORKER_ID_LABEL, workerId);
    assertThat(task.getStatus().getLogTail()).isEqualTo("token [REDACTED]\n");
    Secret secret =
        cluster
            .client()
            .secrets()
            .inNamespace(TestCluster.NAMESPACE)
            .withName(taskId + "-env")
            .get();
    assertThat(secret.getImmutable()).isTrue();
    assertThat(secret.getMetadata().getOwnerReferences())
        .extracting(owner -> owner.getUid())
        .containsExactly(task.getMetadata().getUid());
    assertThat(new ObjectMapper().writeValueAsString(task)).doesNotContain(SECRET);
    assertThat(
            new ObjectMapper()
                .writeValueAsString(
                    cluster
                        .client()
                        .v1()
                        .events()
                        .inNamespace(TestCluster.NAMESPACE)
                        .withField("involvedObject.name", taskId)
                        .list()))
        .doesNotContain(SECRET);
    assertThat(oz.received()).extracting(Frame::text).noneMatch(text -> text.contains(SECRET));
  }

  @Test
  void aCancellationFromOzIsAMergePatchOfSpecCancelAndIsReportedCancelled() {
    String taskId = workerId + "-cancelled";
    oz.assign(workerId, assignment(taskId));
    await().atMost(WAIT).until(() -> backend.isLive(taskId));

    oz.cancel(workerId, taskId);

    await().atMost(WAIT).until(() -> oz.framesAbout(taskId, "task_completed").size() == 1);
    assertThat(
            oz.framesAbout(taskId, "task_completed").getFirst().data().path("task_state").asText())
        .isEqualTo("CANCELLED");
    assertThat(task(taskId).getSpec().getCancel()).isTrue();
    await().atMost(WAIT).until(() -> Boolean.TRUE.equals(task(taskId).getStatus().getReported()));
    assertThat(backend.count("start", taskId)).isEqualTo(1);
  }

  AgentTask task(String name) {
    return cluster
        .client()
        .resources(AgentTask.class)
        .inNamespace(TestCluster.NAMESPACE)
        .withName(name)
        .get();
  }
}
