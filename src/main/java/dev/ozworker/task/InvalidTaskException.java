package dev.ozworker.task;

import java.util.List;

/**
 * An AgentTask that cannot be run as written. Each problem names the field at fault (e.g. {@code
 * spec.timeout}) and how to fix it; all problems are reported at once.
 */
public final class InvalidTaskException extends Exception {
  private final List<String> problems;

  public InvalidTaskException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
