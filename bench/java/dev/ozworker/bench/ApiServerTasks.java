package dev.ozworker.bench;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** What a benchmark leaves on a real API server, removed by its worker's label; and the floor. */
public final class ApiServerTasks {
  public static final String FLOOR_LABEL = "ozworker-bench-floor";

  private ApiServerTasks() {}

  /**
   * Deletes the AgentTasks and Secrets of {@code workerId} in {@code namespace} while no controller
   * runs (finalizers dropped first), and the floor's ConfigMaps.
   */
  public static void delete(KubernetesClient client, String namespace, String workerId) {
    var tasks =
        client
            .resources(AgentTask.class)
            .inNamespace(namespace)
            .withLabel(AgentTaskKeys.WORKER_ID_LABEL, workerId);
    for (AgentTask task : tasks.list().getItems()) {
      client
          .resources(AgentTask.class)
          .inNamespace(namespace)
          .withName(task.getMetadata().getName())
          .edit(
              edited -> {
                edited.getMetadata().setFinalizers(List.of());
                return edited;
              });
    }
    tasks.delete();
    client
        .secrets()
        .inNamespace(namespace)
        .withLabel(AgentTaskKeys.WORKER_ID_LABEL, workerId)
        .delete();
    client.configMaps().inNamespace(namespace).withLabel(FLOOR_LABEL).delete();
  }

  /** The floor of a store: creates per second one client gets, {@code writes} in a row. */
  public static double writesPerSecond(KubernetesClient client, String namespace, int writes) {
    String run = UUID.randomUUID().toString().substring(0, 8);
    long start = System.nanoTime();
    create(client, namespace, run, 0, writes);
    return writes / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * What a store takes from many writers: creates per second, {@code writes} in all, shared by
   * {@code clients} threads on the same client, each writing in a row.
   */
  public static double writesPerSecond(
      KubernetesClient client, String namespace, int writes, int clients) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    int each = writes / clients;
    try (ExecutorService writers = Executors.newFixedThreadPool(clients)) {
      long start = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int first = c * each;
        done.add(writers.submit(() -> create(client, namespace, run, first, first + each)));
      }
      for (Future<?> writer : done) {
        writer.get();
      }
      return each * clients / ((System.nanoTime() - start) / 1e9);
    }
  }

  private static void create(
      KubernetesClient client, String namespace, String run, int from, int to) {
    for (int i = from; i < to; i++) {
      client
          .configMaps()
          .inNamespace(namespace)
          .resource(
              new ConfigMapBuilder()
                  .withNewMetadata()
                  .withName("floor-" + run + "-" + i)
                  .addToLabels(FLOOR_LABEL, "true")
                  .endMetadata()
                  .addToData("k", "v")
                  .build())
          .create();
    }
  }
}
