package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * What reconciling an AgentTask uses of java-operator-sdk's {@link Context}: the API client, and
 * the informer's cache, told of each status this worker writes so that the next reconcile starts
 * from that version instead of the older one the watch has not delivered yet. The reconciler's
 * decisions take this rather than the whole Context, whose cache belongs to a running operator, so
 * that they can be driven one reconcile at a time.
 *
 * @param client the API client
 * @param cache told of each status write: the task as it was read, then as it was stored
 */
record TaskContext(KubernetesClient client, BiConsumer<AgentTask, AgentTask> cache) {

  /** This context, also handing each task it stores to {@code stored}. */
  TaskContext alsoTelling(Consumer<AgentTask> stored) {
    return new TaskContext(
        client,
        (read, written) -> {
          cache.accept(read, written);
          stored.accept(written);
        });
  }

  /** The operator's context: its client and its informer's cache. */
  static TaskContext of(Context<AgentTask> context) {
    return new TaskContext(
        context.getClient(),
        (read, stored) ->
            context
                .eventSourceRetriever()
                .getControllerEventSource()
                .handleRecentResourceUpdate(ResourceID.fromResource(read), stored, read));
  }
}
