package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.ApiKey;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.task.IntakeProof;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TaskExpiryTest {
  static final Instant FALLBACK = Instant.parse("2026-11-26T12:00:00Z");

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      nullValues = "-",
      textBlock =
          """
          user task, TTL after finishing      | true  | 1h | -   | -     | -     | Succeeded | 2026-11-26T10:00:00Z | 2026-11-26T11:00:00Z
          cleanup off keeps it                | false | 1h | -   | -     | -     | Succeeded | 2026-11-26T10:00:00Z | -
          TTL zero keeps it                   | true  | 0s | -   | -     | -     | Failed    | 2026-11-26T10:00:00Z | -
          Oz task not yet reported is kept    | true  | 1h | t-1 | true  | -     | Failed    | 2026-11-26T10:00:00Z | -
          Oz task reported expires            | true  | 1h | t-1 | true  | true  | Cancelled | 2026-11-26T10:00:00Z | 2026-11-26T11:00:00Z
          a taskId written by hand expires    | true  | 1h | t-1 | false | -     | Failed    | 2026-11-26T10:00:00Z | 2026-11-26T11:00:00Z
          a running task never expires        | true  | 1h | -   | -     | -     | Running   | -                    | -
          no finishedAt counts from now       | true  | 1h | -   | -     | -     | Succeeded | -                    | 2026-11-26T13:00:00Z
          """)
  void decidesWhenAFinishedTaskMayGo(
      String caseName,
      boolean cleanup,
      String ttl,
      String taskId,
      Boolean storedByIntake,
      Boolean reported,
      AgentTaskPhase phase,
      String finishedAt,
      String deleteAt)
      throws Exception {
    WorkerConfig config =
        WorkerConfigs.resolve(
            "worker_id: w1\ncleanup: " + cleanup + "\nfinished_task_ttl: " + ttl + "\n",
            Map.of("WARP_API_KEY", "k"));
    AgentTask task = AgentTaskControllerTest.userTask("t");
    task.getMetadata().setNamespace("tasks");
    task.getSpec().setTaskId(taskId);
    IntakeProof proof = IntakeProof.of(new ApiKey("k"));
    if (Boolean.TRUE.equals(storedByIntake)) {
      task.getMetadata()
          .setAnnotations(
              Map.of(
                  AgentTaskKeys.INTAKE_PROOF_ANNOTATION,
                  proof.ofTask("tasks", "t", task.getSpec())));
    }
    AgentTaskStatus status = new AgentTaskStatus();
    status.setPhase(phase);
    status.setFinishedAt(finishedAt);
    status.setReported(reported);
    task.setStatus(status);

    assertThat(TaskExpiry.deleteAt(task, config, proof, FALLBACK))
        .isEqualTo(Optional.ofNullable(deleteAt).map(Instant::parse));
  }
}
