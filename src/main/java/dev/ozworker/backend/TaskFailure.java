package dev.ozworker.backend;

import dev.ozworker.api.FailureReason;
import java.util.Optional;

/**
 * Why a run failed: one of Oz's failure reasons, the agent's exit code when it had one (128+N for
 * signal N), and a message for people. The message must never hold environment values.
 */
public final class TaskFailure extends Exception {
  private final FailureReason reason;
  private final Integer exitCode;

  public TaskFailure(FailureReason reason, String message) {
    this(reason, null, message, null);
  }

  public TaskFailure(FailureReason reason, Integer exitCode, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.exitCode = exitCode;
  }

  public FailureReason reason() {
    return reason;
  }

  public Optional<Integer> exitCode() {
    return Optional.ofNullable(exitCode);
  }

  @Override
  public String toString() {
    return reason.wireName()
        + (exitCode == null ? "" : " (exit " + exitCode + ")")
        + ": "
        + getMessage();
  }
}
