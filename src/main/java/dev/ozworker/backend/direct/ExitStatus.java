package dev.ozworker.backend.direct;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import java.util.Map;

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
