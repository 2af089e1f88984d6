package dev.ozworker.controller;

import static dev.ozworker.controller.AgentTaskControllerTest.assignedTo;
import static dev.ozworker.controller.AgentTaskControllerTest.conditions;
import static dev.ozworker.controller.AgentTaskControllerTest.sharedSecret;
import static dev.ozworker.controller.AgentTaskControllerTest.userTask;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.BackendRef;
import dev.ozworker.api.EnvSource;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskOutcome;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the reconciler does as time passes, on a clock the test moves: timeouts, the TTL of finished
 * tasks, the rechecks of waiting tasks, and failed reconciles tried again. Nothing is waited for.
 */
class ReconcileTimingTest {
  ReconcilerRig rig;

  @AfterEach
  void close() {
    rig.close();
  }

  @Test
  void aRunIsStoppedAtItsTimeoutAndNotAMillisecondBefore() {
    rig = new ReconcilerRig("worker_id: w1\ncancel_grace_period: 7s");
    rig.create(userTask("slowpoke", spec -> spec.setTimeout("10m")));
    rig.settle();
    assertThat(rig.phase("slowpoke")).isEqualTo(AgentTaskPhase.Running);
    assertThat(rig.dueIn("slowpoke")).contains(Duration.ofMinutes(10));

    rig.advance(Duration.ofMinutes(10).minusMillis(1));
    assertThat(rig.backend.count("cancel", "slowpoke")).isZero();
    assertThat(rig.phase("slowpoke")).isEqualTo(AgentTaskPhase.Running);

    rig.advance(Duration.ofMillis(1));

    AgentTask task = rig.get("slowpoke");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(task.getStatus().getFailureReason()).isEqualTo(FailureReason.TASK_TIMEOUT);
    assertThat(task.getStatus().getMessage())
        .isEqualTo("timed out: the task ran longer than its timeout of 10m and was stopped");
    assertThat(conditions(task))
        .containsEntry("Completed", "True/TimedOut")
        .containsEntry("TornDown", "True/CleanedUp");
    assertThat(task.getStatus().getFinishedAt()).isEqualTo("2026-12-05T10:10:00Z");
    assertThat(rig.backend.graces()).containsExactly(Duration.ofSeconds(7));
    assertThat(rig.backend.count("cleanup", "slowpoke")).isEqualTo(1);
  }

  @Test
  void aRunThatEndsBeforeItsTimeoutIsNeverStopped() {
    rig = new ReconcilerRig("worker_id: w1");
    rig.create(userTask("quick", spec -> spec.setTimeout("10m")));
    rig.settle();
    rig.advance(Duration.ofMinutes(9));

    rig.backend.finish("quick", new TaskOutcome.Succeeded("done"));
    rig.advance(Duration.ofMinutes(5));

    assertThat(rig.phase("quick")).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(rig.backend.count("cancel")).isZero();
  }

  @Test
  void aFinishedTaskIsDeletedWhenItsTtlEndsAndNotBefore() {
    rig = new ReconcilerRig("worker_id: w1\nfinished_task_ttl: 1h");
    rig.backend.ends("ephemeral", new TaskOutcome.Succeeded(""));
    rig.create(userTask("ephemeral"));
    rig.settle();
    assertThat(rig.phase("ephemeral")).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(rig.dueIn("ephemeral")).contains(Duration.ofHours(1));

    rig.advance(Duration.ofHours(1).minusSeconds(1));
    assertThat(rig.get("ephemeral")).isNotNull();

    rig.advance(Duration.ofSeconds(1));

    assertThat(rig.get("ephemeral")).isNull();
    assertThat(rig.backend.count("cleanup", "ephemeral")).isEqualTo(1);
  }

  @Test
  void aTaskFromOzOutlivesItsTtlUntilItsResultIsReported() {
    rig = new ReconcilerRig("worker_id: w1\nfinished_task_ttl: 1m");
    rig.backend.ends("from-oz", new TaskOutcome.Succeeded(""));
    rig.create(rig.fromOz(userTask("from-oz", spec -> spec.setTaskId("from-oz"))));
    rig.settle();

    rig.advance(Duration.ofHours(2));
    assertThat(rig.get("from-oz")).as("kept: its result is not delivered yet").isNotNull();
    assertThat(rig.dueIn("from-oz")).isEmpty();

    AgentTask finished = rig.get("from-oz");
    finished.getStatus().setReported(true);
    rig.client.resource(finished).updateStatus();
    rig.settle();

    assertThat(rig.get("from-oz")).as("finished two hours ago, reported now").isNull();
  }

  @Test
  void withoutCleanupAFinishedTaskIsKeptWhateverItsAge() {
    rig = new ReconcilerRig("worker_id: w1\nfinished_task_ttl: 1m\ncleanup: false");
    rig.backend.ends("kept", new TaskOutcome.Succeeded(""));
    rig.create(userTask("kept"));

    rig.advance(Duration.ofDays(30));

    assertThat(rig.phase("kept")).isEqualTo(AgentTaskPhase.Succeeded);
  }

  @Test
  void aTaskMissingItsSecretLooksForItEveryFiveSecondsAndRunsOnceItAppears() {
    rig = new ReconcilerRig("worker_id: w1");
    rig.create(userTask("needs-env", spec -> spec.setEnvFrom(new EnvSource("late-env"))));
    rig.settle();
    assertThat(conditions(rig.get("needs-env"))).containsEntry("Accepted", "False/SecretNotFound");
    assertThat(rig.get("needs-env").getStatus().getMessage()).contains("late-env", "spec.envFrom");
    assertThat(rig.dueIn("needs-env")).contains(AgentTaskReconciler.SECRET_RECHECK);

    rig.advance(Duration.ofMinutes(1));
    assertThat(rig.phase("needs-env")).isEqualTo(AgentTaskPhase.Pending);
    rig.client
        .secrets()
        .inNamespace(rig.namespace())
        .resource(sharedSecret("late-env", "TOKEN", "t"))
        .create();
    rig.advance(AgentTaskReconciler.SECRET_RECHECK.minusMillis(1));
    assertThat(rig.backend.count("start")).as("before the next look").isZero();

    rig.advance(Duration.ofMillis(1));

    assertThat(rig.phase("needs-env")).isEqualTo(AgentTaskPhase.Running);
    assertThat(rig.backend.spec("needs-env").env().asMap()).containsEntry("TOKEN", "t");
  }

  @Test
  void aStatusWriteTheApiRefusesIsTriedAgainOnTheRetryScheduleAndTheTaskStartsOnce() {
    rig = new ReconcilerRig("worker_id: w1");
    rig.create(userTask("patient"));
    rig.api.failUpdatesContaining("Preparing");
    rig.settle();
    assertThat(rig.phase("patient")).as("claimed, no status yet").isNull();
    assertThat(rig.backend.count("start")).as("not started before its start is recorded").isZero();
    assertThat(rig.dueIn("patient")).contains(Duration.ofSeconds(1));

    rig.advance(Duration.ofMinutes(10));
    assertThat(rig.backend.count("start")).as("ten minutes of refused writes").isZero();
    assertThat(rig.dueIn("patient"))
        .hasValueSatisfying(
            wait -> assertThat(wait).isLessThanOrEqualTo(AgentTaskController.RETRY_CEILING));

    rig.api.failUpdatesContaining(null);
    rig.advance(Duration.ofSeconds(30));

    assertThat(rig.phase("patient")).isEqualTo(AgentTaskPhase.Running);
    assertThat(rig.backend.count("start", "patient")).isEqualTo(1);
  }

  @Test
  void aRunWhoseEndCannotBeWrittenIsWrittenLaterAndCleanedUpOnce() {
    rig = new ReconcilerRig("worker_id: w1");
    rig.create(userTask("unlucky"));
    rig.settle();
    rig.api.failUpdatesContaining("Succeeded");

    rig.backend.finish("unlucky", new TaskOutcome.Succeeded("ok"));
    rig.advance(Duration.ofSeconds(10));
    assertThat(rig.phase("unlucky")).isEqualTo(AgentTaskPhase.Running);

    rig.api.failUpdatesContaining(null);
    rig.advance(Duration.ofSeconds(30));

    assertThat(conditions(rig.get("unlucky")))
        .containsEntry("Completed", "True/Succeeded")
        .containsEntry("TornDown", "True/CleanedUp");
    assertThat(rig.backend.count("cleanup", "unlucky")).isEqualTo(1);
    assertThat(rig.backend.count("start", "unlucky")).isEqualTo(1);
  }

  @Test
  void aTaskAdoptedFromAVanishedPodIsReattachedByTheNextReconcileWithoutWaitingForASweep() {
    rig = new ReconcilerRig("", Map.of("POD_NAME", "pool-b", "NODE_NAME", "node-1"));
    rig.create(assignedTo("pool-a", userTask("orphan")));
    runningUnder(rig.get("orphan"), "pool-a");
    rig.settle();
    assertThat(rig.backend.calls()).as("another replica's task").isEmpty();

    TaskAdoption adoption =
        new TaskAdoption(
            rig.client,
            rig.namespace(),
            "pool-b",
            Optional.of("pool-b"),
            Optional.of("node-1"),
            new TaskOwnership("pool-b", Optional.of("pool-b")),
            rig.clock);
    assertThat(adoption.sweep()).containsExactly("orphan");
    rig.settle();

    AgentTask task = rig.get("orphan");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(task.getStatus().getMessage()).contains("lost with its pod", "pod pool-a");
    assertThat(task.getStatus().getWorkerId()).isEqualTo("pool-b");
    assertThat(rig.backend.calls()).containsExactly("cleanup:orphan");
  }

  private void runningUnder(AgentTask task, String pod) {
    AgentTaskStatus status = new AgentTaskStatus();
    status.setPhase(AgentTaskPhase.Running);
    status.setWorkerId(pod);
    status.setPodName(pod);
    status.setNodeName("node-1");
    status.setStartedAt("2026-12-05T09:00:00Z");
    status.setBackendRef(
        new BackendRef("direct", "orphan", null, 4242L, "/workspaces/orphan", null));
    task.setStatus(status);
    rig.client.resource(task).updateStatus();
  }
}
