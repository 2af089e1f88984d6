package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes an AgentTask's next status when it differs from the current one, and tells about it: a log
 * line when the phase changes, Events for what changed (see {@link TaskEvents}), and the metrics
 * ({@link TaskMetrics}).
 *
 * <p>The status goes out whole, as a PUT with the resourceVersion the status was computed from (ADR
 * 0006), in an AgentTask carrying only its name and the status: it replaces the status exactly, and
 * a concurrent write makes it retry on the newer version. The written version is cached for the
 * next reconcile.
 */
final class StatusWriter {
  private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);

  private final String workerId;
  private final Clock clock;
  private final TaskMetrics metrics;

  StatusWriter(String workerId, Clock clock, TaskMetrics metrics) {
    this.workerId = workerId;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Returns the task as stored after the write, or as given when nothing changed. */
  AgentTask write(AgentTask task, AgentTaskStatus next, Context<AgentTask> context) {
    if (next.equals(task.getStatus())) {
      return task;
    }
    // What the write really replaced: after a conflict the update is applied again to the version
    // read back from the server, which a stale cached copy may not match. Events, metrics and the
    // log line describe that change, so a transition already written is not announced twice.
    AtomicReference<AgentTaskStatus> replaced = new AtomicReference<>(task.getStatus());
    AgentTask updated =
        PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(
            task,
            context,
            current -> {
              replaced.set(current.getStatus());
              // `reported` is the result reporter's, and only ever turns true: a retry after a
              // conflict must not take it back with a status computed from an older version.
              if (current.getStatus() != null
                  && Boolean.TRUE.equals(current.getStatus().getReported())) {
                next.setReported(true);
              }
              return statusOnly(current, next);
            });
    AgentTaskStatus before = replaced.get();
    if (before == null || before.getPhase() != next.getPhase()) {
      log.info(
          "AgentTask {} is {}: {}",
          task.getMetadata().getName(),
          next.getPhase(),
          next.getMessage());
    }
    metrics.changed(task, before, next);
    new TaskEvents(context.getClient(), workerId, clock).changed(task, before, next);
    return updated;
  }

  /**
   * What a status write sends: the name and the status. The status subresource takes nothing else
   * from it, so the spec and the rest of the metadata would only be written out and read again.
   */
  private static AgentTask statusOnly(AgentTask current, AgentTaskStatus status) {
    AgentTask task = new AgentTask();
    task.setMetadata(
        new ObjectMetaBuilder()
            .withName(current.getMetadata().getName())
            .withNamespace(current.getMetadata().getNamespace())
            .build());
    task.setStatus(status);
    return task;
  }
}
