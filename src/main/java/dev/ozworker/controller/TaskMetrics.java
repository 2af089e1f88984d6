package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.FailureReason;
import dev.ozworker.observe.WorkerMetrics;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Tells the worker's metrics what a status write changed: handed to the backend, running, final
 * (with the result and, for failures, the reference's phase and reason), teardown failed.
 */
final class TaskMetrics {
  private final WorkerMetrics metrics;
  private final String defaultBackend;

  TaskMetrics(WorkerMetrics metrics, String defaultBackend) {
    this.metrics = metrics;
    this.defaultBackend = defaultBackend;
  }

  void changed(AgentTask task, AgentTaskStatus before, AgentTaskStatus after) {
    String name = task.getMetadata().getName();
    AgentTaskPhase was = before == null ? null : before.getPhase();
    AgentTaskPhase now = after.getPhase();
    String backend = backendOf(task, after);
    if (now != was) {
      switch (now) {
        case Preparing -> metrics.started(name, backend);
        case Running -> {
          if (was != AgentTaskPhase.Preparing) {
            metrics.started(name, backend);
          }
          metrics.running(name, backend);
        }
        case Succeeded, Failed, Cancelled, Dispatched -> {
          if (was == null || !was.isTerminal()) {
            // A run whose start and end reached one reconcile writes no Running phase: the
            // agent's start is counted with its end.
            if (was != AgentTaskPhase.Running
                && AgentTaskConditions.isTrue(after.getConditions(), AgentTaskConditions.STARTED)) {
              metrics.running(name, backend);
            }
            finished(name, backend, after);
          }
        }
        default -> {}
      }
    }
    if (turnedFalse(before, after, AgentTaskConditions.TORN_DOWN)) {
      metrics.failed(WorkerMetrics.FailurePhase.cleanup, FailureReason.CLEANUP);
    }
  }

  private void finished(String name, String backend, AgentTaskStatus after) {
    Duration recorded =
        KubernetesTime.parse(after.getStartedAt())
            .flatMap(
                started ->
                    KubernetesTime.parse(after.getFinishedAt())
                        .map((Instant finished) -> Duration.between(started, finished)))
            .orElse(Duration.ZERO);
    metrics.finished(name, backend, after.getPhase().name().toLowerCase(Locale.ROOT), recorded);
    if (after.getPhase() == AgentTaskPhase.Failed) {
      boolean refused =
          AgentTaskConditions.find(after.getConditions(), AgentTaskConditions.ACCEPTED)
              .filter(c -> "False".equals(c.getStatus()))
              .isPresent();
      metrics.failed(
          refused ? WorkerMetrics.FailurePhase.assignment : WorkerMetrics.FailurePhase.backend,
          Optional.ofNullable(after.getFailureReason()).orElse(FailureReason.UNKNOWN));
    }
  }

  private String backendOf(AgentTask task, AgentTaskStatus status) {
    if (status.getBackendRef() != null && status.getBackendRef().backend() != null) {
      return status.getBackendRef().backend();
    }
    String label =
        task.getMetadata().getLabels() == null
            ? null
            : task.getMetadata().getLabels().get(AgentTaskKeys.BACKEND_LABEL);
    return label == null ? defaultBackend : label;
  }

  private static boolean turnedFalse(AgentTaskStatus before, AgentTaskStatus after, String type) {
    List<Condition> old = before == null ? List.of() : before.getConditions();
    boolean wasFalse =
        AgentTaskConditions.find(old, type).filter(c -> "False".equals(c.getStatus())).isPresent();
    boolean isFalse =
        AgentTaskConditions.find(after.getConditions(), type)
            .filter(c -> "False".equals(c.getStatus()))
            .isPresent();
    return isFalse && !wasFalse;
  }
}
