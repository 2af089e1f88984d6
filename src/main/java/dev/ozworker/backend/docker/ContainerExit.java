package dev.ozworker.backend.docker;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;

/**
 * How the task's container ended, as the engine reports it.
 *
 * @param exitCode the main process's exit status (128+N after signal N)
 * @param oomKilled whether the kernel's OOM killer struck inside the container
 */
record ContainerExit(long exitCode, boolean oomKilled) {

  /**
   * The run's outcome: cancelled when the worker stopped it, else success on 0, else {@code
   * container_oom} when the OOM killer struck, {@code container_exit} otherwise.
   */
  TaskOutcome outcome(boolean cancelled, String logTail) {
    if (cancelled) {
      return new TaskOutcome.Cancelled(logTail);
    }
    if (exitCode == 0) {
      return new TaskOutcome.Succeeded(logTail);
    }
    FailureReason reason = oomKilled ? FailureReason.CONTAINER_OOM : FailureReason.CONTAINER_EXIT;
    String message =
        "container exited with non-zero status: "
            + exitCode
            + (oomKilled ? " (killed for exceeding its memory limit)" : "");
    return new TaskOutcome.Failed(new TaskFailure(reason, (int) exitCode, message, null), logTail);
  }
}
