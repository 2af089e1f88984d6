package dev.ozworker.api;

/**
 * Where an AgentTask is in its life. The last four are terminal; {@code Dispatched} is ours: the
 * command backend handed the task to another runtime, which reports its result to Oz itself.
 */
public enum AgentTaskPhase {
  Pending(false),
  Preparing(false),
  Running(false),
  Succeeded(true),
  Failed(true),
  Cancelled(true),
  Dispatched(true);

  private final boolean terminal;

  AgentTaskPhase(boolean terminal) {
    this.terminal = terminal;
  }

  public boolean isTerminal() {
    return terminal;
  }

  /**
   * Whether the worker owes Oz a result frame for a task that ends in this phase: not for a task
   * handed off, whose agent reports itself.
   */
  public boolean reportsResult() {
    return terminal && this != Dispatched;
  }
}
