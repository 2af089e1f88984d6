package dev.ozworker.backend;

/** How a run ended, with the tail of its output (not yet redacted; may be empty). */
public sealed interface TaskOutcome {

  String logTail();

  /** The agent exited 0. */
  record Succeeded(String logTail) implements TaskOutcome {}

  /** The run failed: preparation, the agent, or the engine. */
  record Failed(TaskFailure failure, String logTail) implements TaskOutcome {}

  /**
   * The task was handed to another runtime, which runs it and reports to Oz itself: nothing more is
   * heard of it here (the command backend's {@code dispatch_command} exited 0).
   */
  record Dispatched(String logTail) implements TaskOutcome {}

  /** The run was stopped by {@link Backend#cancel}. */
  record Cancelled(String logTail) implements TaskOutcome {}
}
