package dev.ozworker.cli;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.bench.BenchReport;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.controller.ScriptedBackend;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
  static final int WARM_UP = 50;
  static final int ASSIGNMENTS = 200;
  static final String KEY = "bench-key";

  @Test
  void assignmentToClaimed() throws Exception {
    try (FakeOzServer oz = FakeOzServer.start(KEY);
        MockApi api = MockApi.start();
        ScriptedBackend backend = new ScriptedBackend()) {
      WorkerConfig config =
          WorkerConfigs.resolve(
              "worker_id: bench\nbackend:\n  direct: {}\n",
              Map.of("WARP_API_KEY", KEY),
              "--web-socket-url",
              oz.webSocketUrl().toString());
      try (WorkerRuntime worker =
          WorkerRuntime.start(
              api.client(),
              config,
              List.of(backend),
              Clock.systemUTC(),
              false,
              LinkTimings.DEFAULT)) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> oz.isConnected("bench"));
        double floor = twoWritesMicros(api.client());
        KubernetesClient client = api.client();
        measure(client, oz, "warm", WARM_UP);
        long[] latencies = measure(client, oz, "t", ASSIGNMENTS);
        new BenchReport("claim-latency")
            .latency("assignment_to_claimed", latencies)
            .fact("assignments", ASSIGNMENTS)
            .fact("floor_two_api_writes_median_us", floor)
            .write();
        assertThat(worker.isConnected()).isTrue();
      }
    }
  }

  private static boolean running(KubernetesClient client, String name) {
    AgentTask task = client.resources(AgentTask.class).withName(name).get();
    return task != null
        && task.getStatus() != null
        && task.getStatus().getPhase() == AgentTaskPhase.Running;
  }

  private static long[] measure(KubernetesClient client, FakeOzServer oz, String prefix, int count)
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
      oz.assign("bench", assignment(taskId, Map.of("GITHUB_ACCESS_TOKEN", "ghs_" + i)));
      latencies[i] = claimed.get(30, TimeUnit.SECONDS).receivedNanos() - sent;
      // Let the controller finish starting this task before the next assignment, so each figure
      // is the claim path itself rather than a wait behind the previous task's status writes.
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> running(client, taskId));
    }
    return latencies;
  }

  /** Median of two creates in a row (a Secret-sized object, then another), in µs. */
  private static double twoWritesMicros(KubernetesClient client) {
    int rounds = 200;
    long[] micros = new long[rounds];
    for (int i = 0; i < rounds; i++) {
      long start = System.nanoTime();
      for (int j = 0; j < 2; j++) {
        client
            .configMaps()
            .resource(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("floor-" + i + "-" + j)
                    .endMetadata()
                    .addToData("k", "v")
                    .build())
            .create();
      }
      micros[i] = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
    }
    java.util.Arrays.sort(micros);
    return micros[rounds / 2];
  }
}
