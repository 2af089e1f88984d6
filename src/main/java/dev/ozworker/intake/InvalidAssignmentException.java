package dev.ozworker.intake;

import dev.ozworker.api.FailureReason;

/**
 * An assignment the worker can never store as an AgentTask, whoever offers it again. The message
 * names the field at fault and is safe to log and to send to Oz: it never quotes an env_vars value.
 * The task is claimed and failed with {@link #reason()} (ADR 0013).
 */
public final class InvalidAssignmentException extends Exception {
  private final FailureReason reason;

  public InvalidAssignmentException(FailureReason reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** The failure reason the task is failed with at Oz. */
  public FailureReason reason() {
    return reason;
  }
}
