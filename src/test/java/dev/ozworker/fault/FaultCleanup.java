package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;

/** Ending a scenario's tasks the way production does. */
final class FaultCleanup {
  private FaultCleanup() {}

  /**
   * Deletes every AgentTask of {@code namespace} while its worker still runs, so that the worker
   * tears them down and removes its finalizers, and waits until they are gone.
   *
   * @throws org.awaitility.core.ConditionTimeoutException when some are left after {@code within}
   */
  static void deleteTasks(KubernetesClient client, String namespace, Duration within) {
    client.resources(AgentTask.class).inNamespace(namespace).delete();
    await()
        .atMost(within)
        .until(
            () ->
                client
                    .resources(AgentTask.class)
                    .inNamespace(namespace)
                    .list()
                    .getItems()
                    .isEmpty());
  }
}
