package dev.ozworker.intake;

/**
 * An assignment the worker cannot store as an AgentTask. The message names the field at fault and
 * is safe to log and to send back as a rejection reason: it never quotes an env_vars value.
 */
public final class InvalidAssignmentException extends Exception {
  public InvalidAssignmentException(String message) {
    super(message);
  }
}
