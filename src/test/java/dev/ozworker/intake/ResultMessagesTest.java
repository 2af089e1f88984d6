package dev.ozworker.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.FailureReason;
import dev.ozworker.oz.OzCodec;
import dev.ozworker.oz.WorkerMessage;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ResultMessagesTest {

  static Stream<Arguments> results() {
    return Stream.of(
        arguments(
            status(AgentTaskPhase.Succeeded, null, 0, "the agent finished successfully"),
            "{\"type\":\"task_completed\",\"data\":{\"task_id\":\"t\",\"message\":\"Task completed"
                + " successfully\"}}"),
        arguments(
            status(AgentTaskPhase.Cancelled, null, null, "cancelled: spec.cancel was set"),
            "{\"type\":\"task_completed\",\"data\":{\"task_id\":\"t\",\"message\":\"Task cancelled"
                + " by user request.\",\"task_state\":\"CANCELLED\"}}"),
        arguments(
            status(
                AgentTaskPhase.Failed,
                FailureReason.AGENT_INVOCATION,
                2,
                "oz agent exited with error: exit status 2"),
            "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t\",\"message\":\"Failed to execute"
                + " task: oz agent exited with error: exit status 2\",\"failure_reason\":"
                + "\"agent_invocation\",\"exit_code\":2}}"),
        arguments(
            status(
                AgentTaskPhase.Failed,
                FailureReason.CONTAINER_OOM,
                137,
                "container exited with non-zero status: 137"),
            "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t\",\"message\":\"Failed to execute"
                + " task: container exited with non-zero status: 137\",\"failure_reason\":"
                + "\"container_oom\",\"exit_code\":137}}"),
        arguments(
            status(AgentTaskPhase.Failed, FailureReason.TASK_TIMEOUT, 143, "timed out"),
            "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t\",\"message\":\"The task exceeded"
                + " its maximum allowed execution time and was terminated. Consider breaking the"
                + " task into smaller steps or increasing the timeout.\",\"failure_reason\":"
                + "\"task_timeout\"}}"),
        arguments(
            status(
                AgentTaskPhase.Cancelled, FailureReason.GRACEFUL_SHUTDOWN, 143, "worker shut down"),
            "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t\",\"message\":\"The task was"
                + " interrupted due to an infrastructure issue (context canceled). This is"
                + " typically transient — please try again.\",\"failure_reason\":"
                + "\"graceful_shutdown\",\"exit_code\":143}}"),
        arguments(
            status(AgentTaskPhase.Failed, null, null, "invalid AgentTask: spec.timeout is bad"),
            "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t\",\"message\":\"Failed to execute"
                + " task: invalid AgentTask: spec.timeout is"
                + " bad\",\"failure_reason\":\"unknown\"}}"));
  }

  @ParameterizedTest
  @MethodSource("results")
  void wordsEachFinalStatusAsTheReferenceDoes(AgentTaskStatus status, String frame) {
    WorkerMessage message = ResultMessages.of("t", status).orElseThrow();

    assertThat(new OzCodec().encode(message)).isEqualTo(frame);
  }

  @ParameterizedTest
  @MethodSource("unfinished")
  void anUnfinishedTaskHasNoResult(AgentTaskPhase phase) {
    assertThat(ResultMessages.of("t", status(phase, null, null, "working"))).isEmpty();
  }

  static Stream<AgentTaskPhase> unfinished() {
    return Stream.of(
        AgentTaskPhase.Pending, AgentTaskPhase.Preparing, AgentTaskPhase.Running, null);
  }

  static AgentTaskStatus status(
      AgentTaskPhase phase, FailureReason reason, Integer exitCode, String message) {
    AgentTaskStatus status = new AgentTaskStatus();
    status.setPhase(phase);
    status.setFailureReason(reason);
    status.setExitCode(exitCode);
    status.setMessage(message);
    return status;
  }
}
