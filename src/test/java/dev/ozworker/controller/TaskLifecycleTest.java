package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.BackendRef;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which phase changes a status write may make, and what counts as a recorded start. */
class TaskLifecycleTest {
  static Stream<Arguments> changes() {
    return Stream.of(
        Arguments.of(null, AgentTaskPhase.Pending, true),
        Arguments.of(null, AgentTaskPhase.Failed, true),
        Arguments.of(AgentTaskPhase.Pending, AgentTaskPhase.Preparing, true),
        Arguments.of(AgentTaskPhase.Pending, AgentTaskPhase.Cancelled, true),
        Arguments.of(AgentTaskPhase.Preparing, AgentTaskPhase.Running, true),
        Arguments.of(AgentTaskPhase.Preparing, AgentTaskPhase.Failed, true),
        Arguments.of(AgentTaskPhase.Running, AgentTaskPhase.Succeeded, true),
        Arguments.of(AgentTaskPhase.Running, AgentTaskPhase.Running, true),
        Arguments.of(AgentTaskPhase.Succeeded, AgentTaskPhase.Succeeded, true),
        Arguments.of(AgentTaskPhase.Running, AgentTaskPhase.Pending, false),
        Arguments.of(AgentTaskPhase.Running, AgentTaskPhase.Preparing, false),
        Arguments.of(AgentTaskPhase.Preparing, AgentTaskPhase.Pending, false),
        Arguments.of(AgentTaskPhase.Succeeded, AgentTaskPhase.Pending, false),
        Arguments.of(AgentTaskPhase.Succeeded, AgentTaskPhase.Failed, false),
        Arguments.of(AgentTaskPhase.Failed, AgentTaskPhase.Running, false),
        Arguments.of(AgentTaskPhase.Cancelled, AgentTaskPhase.Succeeded, false),
        Arguments.of(AgentTaskPhase.Cancelled, null, false));
  }

  @ParameterizedTest(name = "{0} -> {1}: allowed {2}")
  @MethodSource("changes")
  void aPhaseOnlyMovesForwardAndAFinalPhaseIsNeverLeft(
      AgentTaskPhase from, AgentTaskPhase to, boolean allowed) {
    assertThat(TaskLifecycle.refusal(status(from), status(to)).isEmpty()).isEqualTo(allowed);
  }

  @Test
  void aRefusalNamesBothPhases() {
    assertThat(
            TaskLifecycle.refusal(status(AgentTaskPhase.Succeeded), status(AgentTaskPhase.Pending)))
        .hasValueSatisfying(why -> assertThat(why).contains("Succeeded", "Pending", "final"));
  }

  @Test
  void aStartIsRecordedByTheRunsReferenceWhateverThePhaseSays() {
    AgentTaskStatus pendingWithRun = status(AgentTaskPhase.Pending);
    pendingWithRun.setBackendRef(BackendRef.planned("direct", "r1"));
    AgentTaskStatus failedBeforeStart = status(AgentTaskPhase.Failed);

    assertThat(TaskLifecycle.startRecorded(pendingWithRun)).isTrue();
    assertThat(TaskLifecycle.startRecorded(failedBeforeStart)).isFalse();
    assertThat(TaskLifecycle.startRecorded(status(AgentTaskPhase.Pending))).isFalse();
    assertThat(TaskLifecycle.startRecorded(null)).isFalse();
  }

  static AgentTaskStatus status(AgentTaskPhase phase) {
    AgentTaskStatus status = new AgentTaskStatus();
    status.setPhase(phase);
    return status;
  }
}
