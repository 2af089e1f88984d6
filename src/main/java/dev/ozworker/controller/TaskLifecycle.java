package dev.ozworker.controller;

import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import java.util.Optional;

/**
 * The two rules no status write may break, kept in one place: a task's phase only moves forward
 * (Pending, Preparing, Running, then one final phase) and a final phase is never left; and a task
 * whose status records a start is never started again. Every status write checks the first (see
 * {@link StatusWriter}); every start checks the second (see {@link AgentTaskReconciler}).
 */
final class TaskLifecycle {
  private TaskLifecycle() {}

  /**
   * Why {@code next} may not replace {@code current}, or empty when it may: a final phase changing
   * into any other, or a phase going back.
   */
  static Optional<String> refusal(AgentTaskStatus current, AgentTaskStatus next) {
    AgentTaskPhase from = phaseOf(current);
    AgentTaskPhase to = phaseOf(next);
    if (from == to) {
      return Optional.empty();
    }
    if (from.isTerminal()) {
      return Optional.of("the task is " + from + ", a final phase: it never becomes " + to);
    }
    if (rank(to) < rank(from)) {
      return Optional.of("the task is " + from + ": it never goes back to " + to);
    }
    return Optional.empty();
  }

  /**
   * Whether the status records that the task was handed to a backend: the reference of its run is
   * written, with the optimistic lock of the version that had none, before the backend hears of it.
   */
  static boolean startRecorded(AgentTaskStatus status) {
    return status != null && status.getBackendRef() != null;
  }

  /** The phase a status shows; no status or no phase is Pending. */
  static AgentTaskPhase phaseOf(AgentTaskStatus status) {
    return status == null || status.getPhase() == null ? AgentTaskPhase.Pending : status.getPhase();
  }

  private static int rank(AgentTaskPhase phase) {
    return phase.isTerminal() ? AgentTaskPhase.Succeeded.ordinal() : phase.ordinal();
  }
}
