package dev.ozworker.oz;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.ozworker.api.FailureReason;

/**
 * The task failed.
 *
 * @param message shown to the user in Oz
 * @param taskState never set by this worker; read for completeness
 * @param failureReason the classified reason, absent when unknown to the sender
 * @param exitCode the failing process's exit status (128+signal for a signal death); 0 means none
 *     and is left off the wire
 */
public record TaskFailed(
    String taskId,
    String message,
    TaskState taskState,
    FailureReason failureReason,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) int exitCode)
    implements WorkerMessage {

  public TaskFailed(String taskId, String message, FailureReason failureReason, int exitCode) {
    this(taskId, message, null, failureReason, exitCode);
  }
}
