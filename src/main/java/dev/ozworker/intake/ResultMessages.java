package dev.ozworker.intake;

import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.FailureReason;
import dev.ozworker.oz.TaskCompleted;
import dev.ozworker.oz.TaskFailed;
import dev.ozworker.oz.WorkerMessage;
import java.util.Optional;

/**
 * The frame that tells Oz how a task ended, from the AgentTask's final status, worded as the
 * reference words it: success and user cancellation are {@code task_completed}; everything else is
 * {@code task_failed} with a reason, the agent's exit code when there was one, and a message for
 * the user.
 */
public final class ResultMessages {
  public static final String TIMEOUT_MESSAGE =
      "The task exceeded its maximum allowed execution time and was terminated. Consider breaking"
          + " the task into smaller steps or increasing the timeout.";
  public static final String INTERRUPTED_MESSAGE =
      "The task was interrupted due to an infrastructure issue (context canceled). This is"
          + " typically transient — please try again.";
  public static final String FAILED_PREFIX = "Failed to execute task: ";

  private ResultMessages() {}

  /** The result frame, or empty while the task has not ended. */
  public static Optional<WorkerMessage> of(String taskId, AgentTaskStatus status) {
    if (status == null || status.getPhase() == null || !status.getPhase().reportsResult()) {
      return Optional.empty();
    }
    FailureReason reason = status.getFailureReason();
    int exitCode = status.getExitCode() == null ? 0 : status.getExitCode();
    WorkerMessage message =
        switch (status.getPhase()) {
          case Succeeded -> TaskCompleted.succeeded(taskId);
          case Cancelled ->
              reason == FailureReason.GRACEFUL_SHUTDOWN
                  ? new TaskFailed(taskId, INTERRUPTED_MESSAGE, reason, exitCode)
                  : TaskCompleted.cancelled(taskId);
          case Failed ->
              switch (reason == null ? FailureReason.UNKNOWN : reason) {
                // The reference reports a deadline without the killed agent's exit status.
                case TASK_TIMEOUT -> new TaskFailed(taskId, TIMEOUT_MESSAGE, reason, 0);
                case GRACEFUL_SHUTDOWN ->
                    new TaskFailed(taskId, INTERRUPTED_MESSAGE, reason, exitCode);
                case FailureReason known ->
                    new TaskFailed(taskId, FAILED_PREFIX + cause(status), known, exitCode);
              };
          case Pending, Preparing, Running, Dispatched ->
              throw new AssertionError("no result to report");
        };
    return Optional.of(message);
  }

  private static String cause(AgentTaskStatus status) {
    String message = status.getMessage();
    return message == null || message.isBlank() ? "the task failed" : message;
  }
}
