package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.task.IntakeProof;
import java.time.Instant;
import java.util.Optional;

/**
 * When a finished AgentTask may be deleted: {@code finished_task_ttl} after it finished, once its
 * result is no longer needed. Kept forever when cleanup is off or the TTL is zero; a task from Oz
 * (one the intake stored, {@link IntakeProof}) is kept until its result was delivered ({@code
 * status.reported}), whatever its age.
 */
final class TaskExpiry {
  private TaskExpiry() {}

  /**
   * @param finishedFallback when the task finished if its status does not say (written by an older
   *     worker or by hand)
   * @return when to delete the task; empty to keep it
   */
  static Optional<Instant> deleteAt(
      AgentTask task, WorkerConfig config, IntakeProof proof, Instant finishedFallback) {
    AgentTaskStatus status = task.getStatus();
    if (!config.cleanup()
        || config.finishedTaskTtl().isZero()
        || status == null
        || status.getPhase() == null
        || !status.getPhase().isTerminal()
        || awaitsReport(task, proof)) {
      return Optional.empty();
    }
    Instant finished = KubernetesTime.parse(status.getFinishedAt()).orElse(finishedFallback);
    return Optional.of(finished.plus(config.finishedTaskTtl()));
  }

  /** A task written by hand is never reported, whatever its {@code spec.taskId} says. */
  private static boolean awaitsReport(AgentTask task, IntakeProof proof) {
    return TaskOrigin.fromOz(proof, task)
        && task.getStatus().getPhase().reportsResult()
        && !Boolean.TRUE.equals(task.getStatus().getReported());
  }
}
