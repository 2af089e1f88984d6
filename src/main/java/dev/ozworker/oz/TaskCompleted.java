package dev.ozworker.oz;

/**
 * The task ended without failing: it succeeded, or ({@code taskState} CANCELLED) it was cancelled
 * at the user's request.
 *
 * @param taskState absent on success
 */
public record TaskCompleted(String taskId, String message, TaskState taskState)
    implements WorkerMessage {
  public static final String SUCCEEDED_MESSAGE = "Task completed successfully";
  public static final String CANCELLED_MESSAGE = "Task cancelled by user request.";

  /** The agent exited cleanly. */
  public static TaskCompleted succeeded(String taskId) {
    return new TaskCompleted(taskId, SUCCEEDED_MESSAGE, null);
  }

  /** The user cancelled the task and it stopped. */
  public static TaskCompleted cancelled(String taskId) {
    return new TaskCompleted(taskId, CANCELLED_MESSAGE, TaskState.CANCELLED);
  }
}
