package dev.ozworker.observe;

/**
 * The steps of a task's life this worker times, each from the milestone before it. A step is timed
 * only when this process saw both of its ends; a worker that restarted mid-task times the rest.
 */
public enum TaskPhase {
  /** Assignment received → Secret and AgentTask stored. */
  STORE("oz_worker_task_assignment_to_stored_seconds", "assignment received until stored"),
  /** Stored → {@code task_claimed} handed to the link. */
  CLAIM("oz_worker_task_stored_to_claimed_seconds", "stored until task_claimed was sent"),
  /** Claimed → handed to the backend (phase Preparing). */
  START("oz_worker_task_claimed_to_started_seconds", "claimed until handed to the backend"),
  /** Handed to the backend → the agent runs (phase Running). */
  PREPARE("oz_worker_task_started_to_running_seconds", "handed to the backend until running"),
  /** Handed to the backend → final phase. */
  RUN("oz_worker_task_run_seconds", "handed to the backend until its final phase"),
  /** Final phase → {@code status.reported} written after the result frame went out. */
  REPORT("oz_worker_task_terminal_to_reported_seconds", "final phase until reported to Oz");

  private final String metricName;
  private final String help;

  TaskPhase(String metricName, String help) {
    this.metricName = metricName;
    this.help = help;
  }

  /** The histogram's name on {@code /metrics}. */
  public String metricName() {
    return metricName;
  }

  String help() {
    return help;
  }

  /** Whether the task's result is known when this step ends, so it is labelled with it. */
  boolean hasResult() {
    return this == RUN || this == REPORT;
  }
}
