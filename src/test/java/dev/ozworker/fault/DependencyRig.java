package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.oz.fake.FakeOzServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One dependency-failure scenario's own world: a namespace on the real API server, a fake Oz
 * server, and the worker jar configured with a backend block, as one process for the whole scenario
 * (recovering without a restart is the point). Closing deletes the tasks while the worker still
 * runs (it removes its finalizers), stops it and deletes the namespace.
 */
final class DependencyRig implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(120);

  final KubernetesClient client;
  final String name;
  final String namespace;
  final FakeOzServer oz;
  final FaultWorker worker;
  final TaskLedger ledger;
  private boolean closed;

  DependencyRig(
      KubernetesClient client,
      Path root,
      String name,
      String backendYaml,
      Map<String, String> env,
      Path kubeconfig)
      throws Exception {
    this.client = client;
    this.name = name;
    this.namespace = "fault-" + name + "-" + UUID.randomUUID().toString().substring(0, 6);
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    this.oz = FakeOzServer.start(FaultWorker.API_KEY);
    Path config = root.resolve("worker.yaml");
    Files.writeString(
        config,
        """
        worker_id: fault-%s
        namespace: %s
        task_log_dir: %s
        cancel_grace_period: 2s
        %s\
        """
            .formatted(name, namespace, root.resolve("logs"), backendYaml));
    this.worker =
        new FaultWorker(
            root, "fault-" + name, config, oz, env, List.of("--kubeconfig", kubeconfig.toString()));
    this.ledger = new TaskLedger(oz, root.resolve("records"));
  }

  AgentTask task(String taskId) {
    return client.resources(AgentTask.class).inNamespace(namespace).withName(taskId).get();
  }

  AgentTaskPhase phase(String taskId) {
    AgentTask task = task(taskId);
    return task == null || task.getStatus() == null ? null : task.getStatus().getPhase();
  }

  /** Waits until each task has a result at Oz, is marked reported and is torn down. */
  void awaitSettled(List<String> taskIds, Duration within) {
    try {
      await().atMost(within).until(() -> taskIds.stream().allMatch(this::settled));
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "%s: not settled within %s: %s; the worker's log is kept at %s"
              .formatted(
                  name,
                  within,
                  taskIds.stream().filter(id -> !settled(id)).map(this::describe).toList(),
                  FaultDiagnosis.keepLog(worker, name)),
          e);
    }
  }

  private boolean settled(String taskId) {
    return !ledger.results(taskId).isEmpty() && KillCampaign.settled(task(taskId));
  }

  private String describe(String taskId) {
    return FaultDiagnosis.describe(taskId, task(taskId), ledger.results(taskId).size());
  }

  @Override
  public void close() throws Exception {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (worker.isAlive()) {
        FaultCleanup.deleteTasks(client, namespace, Duration.ofSeconds(60));
        worker.stop(Duration.ofSeconds(60));
      }
    } finally {
      worker.close();
      oz.close();
      client
          .resources(AgentTask.class)
          .inNamespace(namespace)
          .list()
          .getItems()
          .forEach(
              task ->
                  client
                      .resources(AgentTask.class)
                      .inNamespace(namespace)
                      .withName(task.getMetadata().getName())
                      .edit(
                          t -> {
                            t.getMetadata().setFinalizers(List.of());
                            return t;
                          }));
      client.namespaces().withName(namespace).delete();
    }
  }
}
