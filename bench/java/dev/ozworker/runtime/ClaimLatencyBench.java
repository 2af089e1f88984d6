package dev.ozworker.runtime;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.bench.ApiServerTasks;
import dev.ozworker.bench.BenchReport;
import dev.ozworker.bench.BenchSize;
import dev.ozworker.bench.Figure;
import dev.ozworker.bench.Stats;
import dev.ozworker.bench.Target;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.controller.ScriptedBackend;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Assignment → {@code task_claimed} through a real WebSocket, including the durable writes of the
 * Secret and the AgentTask on the embedded (mock) API server. One assignment at a time, the next
 * sent once the controller has the previous one running, so each figure is the path's own latency;
 * the floor is two writes in a row from one client to the same server, which is what storing costs
 * at the least.
 */
class ClaimLatencyBench {
  static final int WARM_UP = BenchSize.of(50, 3);
  static final int ASSIGNMENTS = BenchSize.of(200, 10);
  static final String KEY = "bench-key";

  @Test
  void assignmentToClaimedOnTheEmbeddedApiServer() throws Exception {
    try (MockApi api = MockApi.startUnchecked()) {
      measureOn(api.client(), api.client(), false, "claim-latency", "bench", 50);
    }
  }

  /** The same on a real API server: kube-local, or the cluster KUBECONFIG names. */
  @Test
  void assignmentToClaimedOnARealApiServer() throws Exception {
    KubernetesClient client = TestCluster.connectOrSkip();
    boolean createdCrd = TestCluster.installCrd(client);
    String workerId = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    try {
      measureOn(client, client, true, "claim-latency-apiserver", workerId, 0);
    } finally {
      ApiServerTasks.delete(client, TestCluster.NAMESPACE, workerId);
      if (createdCrd) {
        TestCluster.removeCrd(client);
      }
      client.close();
    }
  }

  private void measureOn(
      KubernetesClient workerClient,
      KubernetesClient benchClient,
      boolean serverSideApply,
      String report,
      String workerId,
      double targetP99Millis)
      throws Exception {
    try (FakeOzServer oz = FakeOzServer.start(KEY);
        ScriptedBackend backend = new ScriptedBackend()) {
      WorkerConfig config =
          WorkerConfigs.resolve(
              "worker_id: " + workerId + "\nbackend:\n  direct: {}\n",
              Map.of("WARP_API_KEY", KEY),
              "--web-socket-url",
              oz.webSocketUrl().toString());
      try (WorkerRuntime worker =
          WorkerRuntime.start(
              workerClient,
              config,
              List.of(backend),
              Clock.systemUTC(),
              serverSideApply,
              LinkTimings.DEFAULT)) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> oz.isConnected(workerId));
        long[] floor = twoWrites(benchClient, worker.namespace());
        String prefix = workerId + "-";
        measure(benchClient, worker.namespace(), oz, workerId, prefix + "warm", WARM_UP);
        long[] latencies =
            measure(benchClient, worker.namespace(), oz, workerId, prefix + "t", ASSIGNMENTS);
        Figure figure =
            Figure.of(report.replace('-', '_'), "ms", Stats.millis(latencies))
                .withFloor(Stats.millis(floor), "two creates in a row, one client, same server");
        new BenchReport(report)
            .figure(
                targetP99Millis > 0
                    ? figure.withTarget(Target.atMost("p99", targetP99Millis))
                    : figure)
            .latency("assignment_to_claimed", latencies)
            .fact("assignments", ASSIGNMENTS)
            .write();
        assertThat(worker.isConnected()).isTrue();
      }
    }
  }

  private static boolean running(KubernetesClient client, String namespace, String name) {
    AgentTask task = client.resources(AgentTask.class).inNamespace(namespace).withName(name).get();
    return task != null
        && task.getStatus() != null
        && task.getStatus().getPhase() == AgentTaskPhase.Running;
  }

  private static long[] measure(
      KubernetesClient client,
      String namespace,
      FakeOzServer oz,
      String workerId,
      String prefix,
      int count)
      throws Exception {
    long[] latencies = new long[count];
    for (int i = 0; i < count; i++) {
      String taskId = prefix + "-" + i;
      // Woken by the frame itself, not by polling: the bench must not take a processor from the
      // worker it measures.
      CompletableFuture<Frame> claimed = new CompletableFuture<>();
      oz.onFrame(
          frame -> {
            if (frame.type().equals("task_claimed") && frame.taskId().equals(taskId)) {
              claimed.complete(frame);
            }
          });
      long sent = System.nanoTime();
      oz.assign(workerId, assignment(taskId, Map.of("GITHUB_ACCESS_TOKEN", "ghs_" + i)));
      latencies[i] = claimed.get(30, TimeUnit.SECONDS).receivedNanos() - sent;
      // Let the controller finish starting this task before the next assignment, so each figure
      // is the claim path itself rather than a wait behind the previous task's status writes.
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> running(client, namespace, taskId));
    }
    return latencies;
  }

  /** Two creates in a row (a Secret-sized object, then another), in ns, per round. */
  private static long[] twoWrites(KubernetesClient client, String namespace) {
    int rounds = BenchSize.of(200, 10);
    String run = UUID.randomUUID().toString().substring(0, 8);
    long[] nanos = new long[rounds];
    for (int i = 0; i < rounds; i++) {
      long start = System.nanoTime();
      for (int j = 0; j < 2; j++) {
        client
            .configMaps()
            .inNamespace(namespace)
            .resource(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("floor-" + run + "-" + i + "-" + j)
                    .addToLabels(ApiServerTasks.FLOOR_LABEL, "true")
                    .endMetadata()
                    .addToData("k", "v")
                    .build())
            .create();
      }
      nanos[i] = System.nanoTime() - start;
    }
    return nanos;
  }
}
