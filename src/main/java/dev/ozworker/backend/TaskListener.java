package dev.ozworker.backend;

/**
 * Hears what happens to one run. Called from backend threads; implementations hand the news over
 * and return quickly.
 */
public interface TaskListener {

  /** The agent is running: its container or process has started. */
  void running();

  /** The run is over. Called once. */
  void finished(TaskOutcome outcome);
}
