package dev.ozworker.api;

/** Where an AgentTask is in its life. The last three are terminal. */
public enum AgentTaskPhase {
  Pending(false),
  Preparing(false),
  Running(false),
  Succeeded(true),
  Failed(true),
  Cancelled(true);

  private final boolean terminal;

  AgentTaskPhase(boolean terminal) {
    this.terminal = terminal;
  }

  public boolean isTerminal() {
    return terminal;
  }
}
