package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.bench.BenchReport;
import dev.ozworker.bench.BenchSize;
import dev.ozworker.bench.Figure;
import dev.ozworker.bench.Stats;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What the controller adds to a task that does nothing: from the AgentTask being created to its
 * final status with teardown recorded, on the embedded (mock) API server with a backend that ends
 * every run at once. A burst of tasks, created as fast as one client can, shows throughput; each
 * task's own latency includes its wait behind the others.
 */
class ControllerBench {
  static final int WARM_UP = BenchSize.of(50, 3);
  static final int TASKS = BenchSize.of(500, 20);

  @Test
  void createToTornDownThroughTheController() throws Exception {
    try (MockApi api = MockApi.startUnchecked();
        ScriptedBackend backend = new ScriptedBackend()) {
      WorkerConfig config =
          WorkerConfigs.resolve(
              "worker_id: bench\nbackend:\n  direct: {}\n", Map.of("WARP_API_KEY", "k"));
      try (AgentTaskController controller =
          AgentTaskController.start(
              api.client(), config, List.of(backend), Clock.systemUTC(), false)) {
        KubernetesClient client = api.client();
        double floor = apiWritesPerSecond(client);
        burst(client, backend, "warm", WARM_UP);
        Burst measured = burst(client, backend, "t", TASKS);
        new BenchReport("controller")
            .figure(
                Figure.of(
                        "controller_tasks_per_second",
                        "tasks/s",
                        Stats.of(TASKS / (measured.wallNanos() / 1e9)))
                    .withFloor(Stats.of(floor), "API writes/s from one client, same server"))
            .latency("create_to_torn_down", measured.latencies())
            .fact("tasks", TASKS)
            .fact("tasks_per_second", TASKS / (measured.wallNanos() / 1e9))
            .fact("floor_api_writes_per_second_one_client", floor)
            .fact("starts_per_task", backend.count("start") / (double) (TASKS + WARM_UP))
            .fact("cleanups_per_task", backend.count("cleanup") / (double) (TASKS + WARM_UP))
            .write();
        // The last status write can land just after the informer saw TornDown.
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(30))
            .until(() -> controller.activeTasks() == 0);
      }
    }
  }

  record Burst(long[] latencies, long wallNanos) {}

  /** The floor: how many writes per second the API server takes from one client in a row. */
  private static double apiWritesPerSecond(KubernetesClient client) {
    int writes = BenchSize.of(300, 20);
    long start = System.nanoTime();
    for (int i = 0; i < writes; i++) {
      client
          .configMaps()
          .resource(
              new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                  .withNewMetadata()
                  .withName("floor-" + i)
                  .endMetadata()
                  .addToData("k", "v")
                  .build())
          .create();
    }
    return writes / ((System.nanoTime() - start) / 1e9);
  }

  private Burst burst(KubernetesClient client, ScriptedBackend backend, String prefix, int count)
      throws InterruptedException {
    List<String> names = IntStream.range(0, count).mapToObj(i -> prefix + "-" + i).toList();
    names.forEach(name -> backend.ends(name, new TaskOutcome.Succeeded("")));
    Map<String, Long> created = new ConcurrentHashMap<>();
    Map<String, Long> done = new ConcurrentHashMap<>();
    CountDownLatch allDone = new CountDownLatch(count);
    SharedIndexInformer<AgentTask> informer =
        client
            .resources(AgentTask.class)
            .inNamespace(client.getNamespace())
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(AgentTask task) {
                    onUpdate(null, task);
                  }

                  @Override
                  public void onUpdate(AgentTask before, AgentTask task) {
                    String name = task.getMetadata().getName();
                    if (created.containsKey(name)
                        && task.getStatus() != null
                        && AgentTaskConditions.find(task.getStatus().getConditions(), "TornDown")
                            .isPresent()
                        && done.putIfAbsent(name, System.nanoTime()) == null) {
                      allDone.countDown();
                    }
                  }

                  @Override
                  public void onDelete(AgentTask task, boolean unknown) {}
                });
    try {
      long start = System.nanoTime();
      for (String name : names) {
        created.put(name, System.nanoTime());
        client
            .resources(AgentTask.class)
            .inNamespace(client.getNamespace())
            .resource(AgentTaskControllerTest.userTask(name))
            .create();
      }
      assertThat(allDone.await(5, TimeUnit.MINUTES)).as("every task finished").isTrue();
      long end = done.values().stream().mapToLong(Long::longValue).max().orElseThrow();
      long[] latencies = names.stream().mapToLong(n -> done.get(n) - created.get(n)).toArray();
      return new Burst(latencies, end - start);
    } finally {
      informer.close();
    }
  }
}
