package dev.ozworker.task;

import dev.ozworker.api.FailureReason;
import java.util.List;

/**
 * An AgentTask that cannot be run as written. Each problem names the field at fault (e.g. {@code
 * spec.timeout}) and how to fix it; all problems are reported at once.
 */
public final class InvalidTaskException extends Exception {
  private final List<String> problems;
  private final FailureReason reason;

  public InvalidTaskException(List<String> problems) {
    this(problems, FailureReason.UNKNOWN);
  }

  /**
   * @param reason the failure reason Oz is told, where the reference worker has one for the fault
   *     (an invalid sidecar is {@code sidecar_prep})
   */
  public InvalidTaskException(List<String> problems, FailureReason reason) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
    this.reason = reason;
  }

  public FailureReason reason() {
    return reason;
  }

  public List<String> problems() {
    return problems;
  }
}
