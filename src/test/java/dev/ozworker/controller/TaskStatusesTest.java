package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.task.TaskResolver;
import dev.ozworker.task.TaskSpec;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** How a run's outcome and the reason it was stopped become the task's final status. */
class TaskStatusesTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T10:00:00Z"), ZoneOffset.UTC);
  static final TaskFailure EXIT_2 =
      new TaskFailure(FailureReason.AGENT_INVOCATION, 2, "oz agent exited: exit status 2", null);
  static final TaskFailure EXIT_143 =
      new TaskFailure(FailureReason.AGENT_INVOCATION, 143, "oz agent exited: signal", null);

  final ScriptedBackend backend = new ScriptedBackend();
  final TaskStatuses statuses = new TaskStatuses("w1", CLOCK);

  @AfterEach
  void closeBackend() {
    backend.close();
  }

  static Stream<Arguments> outcomes() {
    return Stream.of(
        Arguments.of(ok(), null, AgentTaskPhase.Succeeded, null, 0, "Succeeded"),
        Arguments.of(
            ok(), TaskRun.StopCause.CANCEL, AgentTaskPhase.Succeeded, null, 0, "Succeeded"),
        Arguments.of(
            failed(EXIT_2),
            null,
            AgentTaskPhase.Failed,
            FailureReason.AGENT_INVOCATION,
            2,
            "Failed"),
        Arguments.of(
            failed(EXIT_143),
            TaskRun.StopCause.CANCEL,
            AgentTaskPhase.Cancelled,
            null,
            143,
            "Cancelled"),
        Arguments.of(
            failed(EXIT_143),
            TaskRun.StopCause.TIMEOUT,
            AgentTaskPhase.Failed,
            FailureReason.TASK_TIMEOUT,
            143,
            "TimedOut"),
        Arguments.of(
            cancelled(),
            TaskRun.StopCause.CANCEL,
            AgentTaskPhase.Cancelled,
            null,
            null,
            "Cancelled"),
        Arguments.of(
            cancelled(),
            TaskRun.StopCause.DELETE,
            AgentTaskPhase.Cancelled,
            null,
            null,
            "Cancelled"),
        Arguments.of(
            cancelled(),
            TaskRun.StopCause.TIMEOUT,
            AgentTaskPhase.Failed,
            FailureReason.TASK_TIMEOUT,
            null,
            "TimedOut"),
        Arguments.of(
            failed(EXIT_143),
            TaskRun.StopCause.SHUTDOWN,
            AgentTaskPhase.Cancelled,
            FailureReason.GRACEFUL_SHUTDOWN,
            143,
            "WorkerShutdown"),
        Arguments.of(
            cancelled(),
            TaskRun.StopCause.SHUTDOWN,
            AgentTaskPhase.Cancelled,
            FailureReason.GRACEFUL_SHUTDOWN,
            null,
            "WorkerShutdown"),
        Arguments.of(
            ok(), TaskRun.StopCause.SHUTDOWN, AgentTaskPhase.Succeeded, null, 0, "Succeeded"),
        Arguments.of(cancelled(), null, AgentTaskPhase.Cancelled, null, null, "Cancelled"));
  }

  @ParameterizedTest(name = "{0} after stop {1} -> {2} {3}")
  @MethodSource("outcomes")
  void outcomeAndStopCauseDecideTheFinalPhase(
      TaskOutcome outcome,
      TaskRun.StopCause cause,
      AgentTaskPhase phase,
      FailureReason reason,
      Integer exitCode,
      String completedReason) {
    TaskRun run = run(Map.of());
    run.running();
    if (cause != null) {
      run.stop(cause, Duration.ofSeconds(1));
    }
    run.finished(outcome);

    AgentTaskStatus status = statuses.ofRun(task(null), run);

    assertThat(status.getPhase()).isEqualTo(phase);
    assertThat(status.getFailureReason()).isEqualTo(reason);
    assertThat(status.getExitCode()).isEqualTo(exitCode);
    assertThat(status.getFinishedAt()).isEqualTo("2026-11-26T10:00:00Z");
    assertThat(status.getWorkerId()).isEqualTo("w1");
    assertThat(AgentTaskConditions.find(status.getConditions(), "Completed"))
        .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo(completedReason));
  }

  @Test
  void theWorkersPodAndNodeAreWrittenWithItsId() {
    TaskStatuses inPod =
        new TaskStatuses("pod-a", Optional.of("pod-a"), Optional.of("node-1"), CLOCK);
    TaskRun run = run(Map.of());
    run.running();

    AgentTaskStatus status = inPod.ofRun(task(null), run);

    assertThat(status.getWorkerId()).isEqualTo("pod-a");
    assertThat(status.getPodName()).isEqualTo("pod-a");
    assertThat(status.getNodeName()).isEqualTo("node-1");
  }

  @Test
  void aTaskNotStartedWhenTheWorkerShutsDownEndsAsGracefulShutdown() {
    AgentTaskStatus status = statuses.shutDownBeforeStart(task(null));

    assertThat(status.getPhase()).isEqualTo(AgentTaskPhase.Cancelled);
    assertThat(status.getFailureReason()).isEqualTo(FailureReason.GRACEFUL_SHUTDOWN);
    assertThat(status.getMessage())
        .isEqualTo("cancelled: worker w1 shut down before the task started");
  }

  @Test
  void aFinalStatusIsNeverRewrittenOnlyCleanupIsAdded() {
    TaskRun run = run(Map.of());
    run.finished(failed(EXIT_2));
    AgentTaskStatus failed = statuses.ofRun(task(null), run);
    TaskRun later = run(Map.of());
    later.finished(new TaskOutcome.Succeeded(""));
    later.cleanUpOnce();

    AgentTaskStatus next = statuses.ofRun(task(failed), later);

    assertThat(next.getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(next.getExitCode()).isEqualTo(2);
    assertThat(AgentTaskConditions.isTrue(next.getConditions(), "TornDown")).isTrue();
  }

  @Test
  void theLogTailAndFailureMessageAreRedactedAndBounded() {
    TaskRun run = run(Map.of("TOKEN", "tok-123"));
    String output = "y".repeat(10_000) + " tok-123\n";
    run.finished(
        new TaskOutcome.Failed(
            new TaskFailure(FailureReason.AGENT_INVOCATION, 1, "died holding tok-123", null),
            output));

    AgentTaskStatus status = statuses.ofRun(task(null), run);

    assertThat(status.getLogTail()).hasSize(TaskStatuses.LOG_TAIL_CHARS).endsWith(" [REDACTED]\n");
    assertThat(status.getMessage()).isEqualTo("died holding [REDACTED]");
  }

  @Test
  void anAgentThatPrintedNothingLeavesNoLogTailRatherThanAnEmptyOne() {
    TaskRun run = run(Map.of());
    run.finished(new TaskOutcome.Succeeded(""));

    assertThat(statuses.ofRun(task(null), run).getLogTail()).isNull();
  }

  @Test
  void aTimeoutMessageNamesTheTimeout() {
    TaskRun run = run(Map.of());
    run.stop(TaskRun.StopCause.TIMEOUT, Duration.ZERO);
    run.finished(cancelled());

    assertThat(statuses.ofRun(task(null), run).getMessage())
        .isEqualTo("timed out: the task ran longer than its timeout of 1h30m and was stopped");
  }

  @Test
  void aRunStillPreparingShowsStartedFalseAndItsPlannedReference() {
    TaskRun run = run(Map.of());

    AgentTaskStatus status = statuses.ofRun(task(null), run);

    assertThat(status.getPhase()).isEqualTo(AgentTaskPhase.Preparing);
    assertThat(status.getBackendRef().runId()).isEqualTo("t1");
    assertThat(status.getStartedAt()).isEqualTo("2026-11-26T10:00:00Z");
    assertThat(AgentTaskConditions.find(status.getConditions(), "Started"))
        .hasValueSatisfying(
            c -> assertThat(c.getStatus() + "/" + c.getReason()).isEqualTo("False/Preparing"));
  }

  TaskRun run(Map<String, String> secretEnv) {
    try {
      TaskResolver resolver =
          new TaskResolver(
              WorkerConfigs.resolve(
                  "worker_id: w1\ntask_timeout: 90m\nbackend:\n  direct: {}\n",
                  Map.of("WARP_API_KEY", "k")));
      var spec = AgentTaskControllerTest.userTask("t1").getSpec();
      if (!secretEnv.isEmpty()) {
        spec.setEnvFrom(new dev.ozworker.api.EnvSource("t1-env"));
      }
      TaskSpec resolved = resolver.resolve("t1", spec, secretEnv);
      return TaskRun.planned(new ResourceID("t1", "ns"), backend, resolved, id -> {}, CLOCK);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static AgentTask task(AgentTaskStatus status) {
    AgentTask task = AgentTaskControllerTest.userTask("t1");
    task.getMetadata().setGeneration(1L);
    task.setStatus(status);
    return task;
  }

  static TaskOutcome ok() {
    return new TaskOutcome.Succeeded("done");
  }

  static TaskOutcome failed(TaskFailure failure) {
    return new TaskOutcome.Failed(failure, "");
  }

  static TaskOutcome cancelled() {
    return new TaskOutcome.Cancelled("");
  }
}
