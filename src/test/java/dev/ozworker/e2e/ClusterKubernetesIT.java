package dev.ozworker.e2e;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.backend.kubernetes.PodLabels;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes overlay on a real cluster, as an operator installs it: a Deployment of two workers
 * that make each task's Pod through their own service account and the overlay's Role (so the Role
 * is proven to be enough), from the stand-in agent image. Each task runs in one Pod, once, and is
 * reported once; a task whose worker pod is deleted keeps running in its Pod and is reported once
 * by the worker that adopts it.
 */
@ExtendWith(ClusterImages.Extension.class)
class ClusterKubernetesIT {
  static final Duration WAIT = Duration.ofSeconds(150);

  /** max_concurrent_tasks of overlays/test-kubernetes: a worker rejects an assignment beyond it. */
  static final int CAPACITY = 4;

  /** The file whose creation ends a held task's stand-in agent, inside its task container. */
  static final String RELEASE = "/tmp/e2e-release";

  @TempDir static Path dir;
  static ClusterImages images;
  static ClusterPool pool;

  /** Every task Pod made in the pool's namespace: its name, and the uid of each Pod of the name. */
  static final Map<String, Set<String>> podsMade = new ConcurrentHashMap<>();

  static Watch podWatch;

  @BeforeAll
  static void installThePool(ClusterImages built) throws Exception {
    images = built;
    pool = ClusterPool.install(images, "test-kubernetes", 2, dir.resolve("overlay"));
    podWatch =
        pool.admin
            .pods()
            .inNamespace(pool.namespace)
            .withLabel(PodLabels.MANAGED_BY, PodLabels.MANAGED_BY_VALUE)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    podsMade
                        .computeIfAbsent(
                            pod.getMetadata().getName(), name -> ConcurrentHashMap.newKeySet())
                        .add(pod.getMetadata().getUid());
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
  }

  @AfterAll
  static void removeThePool() throws Exception {
    if (podWatch != null) {
      podWatch.close();
    }
    if (pool != null) {
      pool.close();
    }
  }

  @Test
  void twoReplicasRunEachTaskInOnePodOfTheirOwnAndReportItOnce() {
    List<String> workers = pool.pods();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < CAPACITY * workers.size(); i++) {
      String id = UUID.randomUUID().toString();
      ids.add(id);
      pool.oz.assign(workers.get(i % workers.size()), task(id, "1"));
    }

    await().atMost(WAIT).until(() -> ids.stream().noneMatch(id -> pool.results(id).isEmpty()));

    for (String id : ids) {
      assertThat(pool.results(id))
          .singleElement()
          .extracting(Frame::type)
          .isEqualTo("task_completed");
      AgentTask task = pool.task(id);
      assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
      assertThat(task.getStatus().getWorkerId()).isIn(workers);
      assertThat(task.getStatus().getLogTail()).contains("runs 1s, then exits 0");
      String podName = task.getStatus().getBackendRef().pod();
      assertThat(podsMade.get(podName)).as("Pods made for task %s", id).hasSize(1);
    }
    // cleanup: true removes each succeeded task's Pod
    await()
        .atMost(WAIT)
        .until(
            () ->
                ids.stream()
                    .map(id -> pool.task(id).getStatus().getBackendRef().pod())
                    .allMatch(name -> pool.pod(name).isEmpty()));
  }

  @Test
  void aTaskWhoseWorkerPodIsDeletedRunsOnInItsPodAndIsReportedOnceByItsAdopter() throws Exception {
    String worker = pool.pods().getFirst();
    String id = UUID.randomUUID().toString();
    // Runs until this test releases it, so that it surely still runs when its worker is gone.
    ObjectNode held = task(id, "300");
    held.withObject("env_vars").put("E2E_RELEASE", RELEASE);
    pool.oz.assign(worker, held);
    Pod taskPod = awaitTaskPodRunning(id);

    Command.kubectl("delete", "pod", worker, "-n", pool.namespace, "--wait=true", "--timeout=150s")
        .ok();
    Pod after = pool.pod(taskPod.getMetadata().getName()).orElseThrow();
    assertThat(after.getMetadata().getUid()).isEqualTo(taskPod.getMetadata().getUid());
    assertThat(after.getStatus().getPhase()).isEqualTo("Running");
    await()
        .atMost(WAIT)
        .until(
            () -> {
              AgentTask task = pool.task(id);
              return task.getStatus() != null
                  && !worker.equals(task.getStatus().getWorkerId())
                  && task.getStatus().getPhase() == AgentTaskPhase.Running;
            });
    String adopter = pool.task(id).getStatus().getWorkerId();

    Command.kubectl(
            "exec",
            "-n",
            pool.namespace,
            taskPod.getMetadata().getName(),
            "-c",
            "task",
            "--",
            "/bin/sh",
            "-c",
            ": > " + RELEASE)
        .ok();
    await().atMost(WAIT).until(() -> !pool.results(id).isEmpty());

    assertThat(pool.results(id))
        .singleElement()
        .satisfies(
            result -> {
              assertThat(result.type()).isEqualTo("task_completed");
              assertThat(result.workerId()).isEqualTo(adopter);
            });
    assertThat(pool.task(id).getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(podsMade.get(taskPod.getMetadata().getName()))
        .as("the task's Pod was never made again")
        .containsExactly(taskPod.getMetadata().getUid());
  }

  private static ObjectNode task(String taskId, String seconds) {
    ObjectNode data = assignment(taskId, Map.of("E2E_SLEEP", seconds));
    data.put("docker_image", images.agent);
    return data;
  }

  private static Pod awaitTaskPodRunning(String taskId) {
    return await()
        .atMost(WAIT)
        .until(
            () -> {
              AgentTask task = pool.task(taskId);
              if (task == null
                  || task.getStatus() == null
                  || task.getStatus().getPhase() != AgentTaskPhase.Running
                  || task.getStatus().getBackendRef() == null
                  || task.getStatus().getBackendRef().pod() == null) {
                return null;
              }
              return pool.pod(task.getStatus().getBackendRef().pod())
                  .filter(pod -> "Running".equals(pod.getStatus().getPhase()))
                  .orElse(null);
            },
            pod -> pod != null);
  }
}
