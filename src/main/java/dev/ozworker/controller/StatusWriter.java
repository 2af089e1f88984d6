package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes an AgentTask's next status when it differs from the current one, and tells about it: a log
 * line when the phase changes, Events for what changed (see {@link TaskEvents}), and the metrics
 * ({@link TaskMetrics}).
 *
 * <p>Only the task's owner writes, and only what it decided from the copy it read: the status goes
 * out whole, as a PUT carrying the resourceVersion of that copy (ADR 0006), in an AgentTask holding
 * only its name and the status. When the task changed since, the API server refuses the write (409)
 * and {@link StaleTaskException} sends the decision back to be made again from the newer copy; it
 * is never applied to a version it was not decided from. A write that would move a task out of a
 * final phase, or back, is refused here ({@link TaskLifecycle}). The written version is cached for
 * the next reconcile.
 */
final class StatusWriter {
  private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);

  private final TaskOwnership ownership;
  private final String workerId;
  private final TaskMetrics metrics;
  private final TaskEvents events;

  StatusWriter(TaskOwnership ownership, String workerId, Clock clock, TaskMetrics metrics) {
    this(ownership, workerId, metrics, new TaskEvents(workerId, clock));
  }

  /**
   * @param events the worker's Events, shared with the rest of its controller
   */
  StatusWriter(TaskOwnership ownership, String workerId, TaskMetrics metrics, TaskEvents events) {
    this.ownership = ownership;
    this.workerId = workerId;
    this.metrics = metrics;
    this.events = events;
  }

  /**
   * Returns the task as stored after the write, or as given when nothing changed.
   *
   * @throws StaleTaskException when the task changed since {@code task} was read
   * @throws IllegalStateException when this worker does not own the task, or {@code next} breaks a
   *     rule of {@link TaskLifecycle}: a bug, and nothing is written
   */
  AgentTask write(AgentTask task, AgentTaskStatus next, TaskContext context) {
    return write(task, next, context.client(), stored -> context.cache().accept(task, stored));
  }

  /**
   * {@link #write(AgentTask, AgentTaskStatus, TaskContext)} through {@code client}, handing the
   * stored task to {@code cache} for the next reconcile.
   */
  AgentTask write(
      AgentTask task, AgentTaskStatus next, KubernetesClient client, Consumer<AgentTask> cache) {
    AgentTaskStatus before = task.getStatus();
    if (next.equals(before)) {
      return task;
    }
    String name = task.getMetadata().getName();
    if (!ownership.isMine(task)) {
      throw new IllegalStateException(
          "worker " + workerId + " does not own AgentTask " + name + " and may not write it");
    }
    TaskLifecycle.refusal(before, next)
        .ifPresent(
            why -> {
              throw new IllegalStateException(
                  "refusing a status write to AgentTask " + name + ": " + why);
            });
    AgentTask updated;
    try {
      updated = client.resource(statusOnly(task, next)).updateStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        throw new StaleTaskException(name);
      }
      throw e;
    }
    cache.accept(updated);
    if (next.getPhase() != null && (before == null || before.getPhase() != next.getPhase())) {
      log.info("AgentTask {} is {}: {}", name, next.getPhase(), next.getMessage());
    }
    metrics.changed(task, before, next);
    events.changed(client, task, before, next);
    return updated;
  }

  /**
   * What a status write sends: the name, the version the status was decided from, and the status.
   * The status subresource takes nothing else, so the spec and the rest of the metadata would only
   * be written out and read again.
   */
  private static AgentTask statusOnly(AgentTask current, AgentTaskStatus status) {
    AgentTask task = new AgentTask();
    task.setMetadata(
        new ObjectMetaBuilder()
            .withName(current.getMetadata().getName())
            .withNamespace(current.getMetadata().getNamespace())
            .withResourceVersion(current.getMetadata().getResourceVersion())
            .build());
    task.setStatus(status);
    return task;
  }
}
