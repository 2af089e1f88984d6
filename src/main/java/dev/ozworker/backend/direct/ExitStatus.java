package dev.ozworker.backend.direct;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * What an exit status of the agent means. Codes are normalised as shells report them: a process
 * ended by signal N exits 128+N (137 for SIGKILL, 143 for SIGTERM), which is what both the JDK and
 * the run's wrapper shell report. Pure.
 */
final class ExitStatus {
  private static final Map<Integer, String> SIGNALS =
      Map.of(
          1, "SIGHUP", 2, "SIGINT", 3, "SIGQUIT", 6, "SIGABRT", 9, "SIGKILL", 11, "SIGSEGV", 13,
          "SIGPIPE", 15, "SIGTERM");

  private ExitStatus() {}

  /**
   * The outcome of an agent that exited with {@code code}.
   *
   * @param cancelled whether the run was asked to stop; then it ended as cancelled, whatever code
   */
  static TaskOutcome outcome(int code, boolean cancelled, String logTail) {
    if (cancelled) {
      return new TaskOutcome.Cancelled(logTail);
    }
    if (code == 0) {
      return new TaskOutcome.Succeeded(logTail);
    }
    return new TaskOutcome.Failed(agentFailure(code), logTail);
  }

  /**
   * How a run ended, from what its chain of steps produced.
   *
   * @param code the agent's exit status; null when none was read (then it was lost)
   * @param error what failed a step: a {@link TaskFailure} is the run's failure, anything else an
   *     unexpected one
   * @param cancelled whether the run was asked to stop; that decides, whatever else happened
   */
  static TaskOutcome outcome(Integer code, Throwable error, boolean cancelled, String logTail) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cancelled) {
      return new TaskOutcome.Cancelled(logTail);
    }
    if (cause instanceof TaskFailure failure) {
      return new TaskOutcome.Failed(failure, logTail);
    }
    if (cause != null) {
      return new TaskOutcome.Failed(
          new TaskFailure(
              FailureReason.UNKNOWN, null, "the run failed unexpectedly: " + cause, cause),
          logTail);
    }
    if (code == null) {
      return new TaskOutcome.Failed(
          new TaskFailure(
              FailureReason.AGENT_INVOCATION,
              "the worker restarted and the agent's exit status was lost: its wrapper left no"
                  + " status file"),
          logTail);
    }
    return outcome(code, false, logTail);
  }

  /** {@code agent_invocation} with the code, worded as the reference worker words it. */
  static TaskFailure agentFailure(int code) {
    return new TaskFailure(
        FailureReason.AGENT_INVOCATION,
        code,
        "oz agent exited with error: exit status " + code + signalNote(code),
        null);
  }

  /** For a code above 128: which signal it stands for, e.g. " (128+9: SIGKILL)". */
  static String signalNote(int code) {
    int signal = code - 128;
    if (signal < 1 || signal > 64) {
      return "";
    }
    return " (128+" + signal + ": " + SIGNALS.getOrDefault(signal, "signal " + signal) + ")";
  }
}
