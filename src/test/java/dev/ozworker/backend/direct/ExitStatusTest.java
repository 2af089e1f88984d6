package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskOutcome;
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
}
