package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExitStatusTest {

  @ParameterizedTest
  @CsvSource({
    "1, oz agent exited with error: exit status 1",
    "3, oz agent exited with error: exit status 3",
    "128, oz agent exited with error: exit status 128",
    "137, oz agent exited with error: exit status 137 (128+9: SIGKILL)",
    "143, oz agent exited with error: exit status 143 (128+15: SIGTERM)",
    "159, oz agent exited with error: exit status 159 (128+31: signal 31)",
    "255, oz agent exited with error: exit status 255"
  })
  void aNonZeroExitIsAnAgentInvocationFailureWithItsCode(int code, String message) {
    TaskOutcome outcome = ExitStatus.outcome(code, false, "tail");

    assertThat(outcome).isInstanceOf(TaskOutcome.Failed.class);
    var failure = ((TaskOutcome.Failed) outcome).failure();
    assertThat(failure.reason()).isEqualTo(FailureReason.AGENT_INVOCATION);
    assertThat(failure.exitCode()).contains(code);
    assertThat(failure.getMessage()).isEqualTo(message);
    assertThat(outcome.logTail()).isEqualTo("tail");
  }

  @ParameterizedTest
  @CsvSource({
    "0, false, Succeeded",
    "0, true, Cancelled",
    "143, true, Cancelled",
    "3, true, Cancelled"
  })
  void aCancelledRunIsCancelledWhateverItsCode(int code, boolean cancelled, String kind) {
    assertThat(ExitStatus.outcome(code, cancelled, "").getClass().getSimpleName()).isEqualTo(kind);
  }

  @Test
  void aStepsFailureIsTheRunsFailureAndALostStatusSaysSo() {
    TaskFailure setup = new TaskFailure(FailureReason.SETUP_COMMAND, "setup command failed");

    assertThat(ExitStatus.outcome(null, new CompletionException(setup), false, ""))
        .isEqualTo(new TaskOutcome.Failed(setup, ""));
    assertThat(ExitStatus.outcome(null, new CompletionException(setup), true, "t"))
        .isEqualTo(new TaskOutcome.Cancelled("t"));
    var lost = (TaskOutcome.Failed) ExitStatus.outcome(null, null, false, "");
    assertThat(lost.failure().reason()).isEqualTo(FailureReason.AGENT_INVOCATION);
    assertThat(lost.failure().getMessage()).contains("exit status was lost");
    var unexpected =
        (TaskOutcome.Failed) ExitStatus.outcome(null, new IllegalStateException("x"), false, "");
    assertThat(unexpected.failure().reason()).isEqualTo(FailureReason.UNKNOWN);
    assertThat(ExitStatus.outcome(0, null, false, "")).isInstanceOf(TaskOutcome.Succeeded.class);
  }
}
