package dev.ozworker.controller;

import static dev.ozworker.controller.AgentTaskControllerTest.assignedTo;
import static dev.ozworker.controller.AgentTaskControllerTest.conditions;
import static dev.ozworker.controller.AgentTaskControllerTest.userTask;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.EnvSource;
import dev.ozworker.backend.TaskOutcome;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A replica's capacity, one reconcile at a time: tasks beyond {@code max_concurrent_tasks} wait,
 * saying so, and are woken oldest first as slots free; a full replica leaves unclaimed tasks to
 * others without writing them; a task that cannot run never keeps a slot.
 */
class ReconcileCapacityTest {
  ReconcilerRig rig;

  @AfterEach
  void close() {
    rig.close();
  }

  @Test
  void tasksBeyondCapacityWaitSayingSoAndAreWokenOldestFirstAsSlotsFree() {
    rig = new ReconcilerRig("worker_id: w1\nmax_concurrent_tasks: 2");
    List<String> names = List.of("q-0", "q-1", "q-2", "q-3");
    names.forEach(name -> rig.create(assignedTo("w1", userTask(name))));

    rig.settle();

    assertThat(names).map(rig::phase).containsExactly(running(), running(), pending(), pending());
    AgentTask waiting = rig.get("q-2");
    assertThat(waiting.getStatus().getMessage())
        .isEqualTo("queued: 2/2 tasks running on worker w1");
    assertThat(conditions(waiting)).containsEntry("Queued", "True/AtCapacity");
    assertThat(rig.dueIn("q-2")).contains(AgentTaskReconciler.RECHECK);
    assertThat(rig.reconciler.queuedTasks()).isEqualTo(2);

    int before = rig.wakeups().size();
    rig.backend.finish("q-1", new TaskOutcome.Succeeded(""));
    rig.settle();

    assertThat(rig.wakeups().subList(before, rig.wakeups().size()))
        .as("the run's end, its teardown, the waiting tasks oldest first, then q-2 running")
        .containsExactly("q-1", "q-1", "q-2", "q-3", "q-2");
    assertThat(names)
        .map(rig::phase)
        .containsExactly(running(), AgentTaskPhase.Succeeded, running(), pending());
    assertThat(conditions(rig.get("q-2"))).containsEntry("Queued", "False/SlotAvailable");

    rig.backend.finish("q-0", new TaskOutcome.Succeeded(""));
    rig.backend.finish("q-2", new TaskOutcome.Succeeded(""));
    rig.settle();
    rig.backend.finish("q-3", new TaskOutcome.Succeeded(""));
    rig.settle();

    assertThat(names).map(rig::phase).containsOnly(AgentTaskPhase.Succeeded);
    assertThat(rig.backend.mostRunningAtOnce()).isEqualTo(2);
    assertThat(rig.reconciler.activeTasks()).isZero();
  }

  @Test
  void aFullReplicaWritesNothingOnATaskItHasNotClaimedAndLooksAgainLater() {
    rig = new ReconcilerRig("worker_id: w1\nmax_concurrent_tasks: 1");
    rig.create(assignedTo("w1", userTask("busy")));
    rig.settle();
    rig.create(userTask("unclaimed"));

    UpdateControl<AgentTask> control = rig.reconcile("unclaimed");

    assertThat(control.getScheduleDelay()).contains(AgentTaskReconciler.RECHECK.toMillis());
    AgentTask unclaimed = rig.get("unclaimed");
    assertThat(unclaimed.getMetadata().getLabels()).isNullOrEmpty();
    assertThat(unclaimed.getStatus()).isNull();
    assertThat(rig.api.statusWrites()).noneMatch(body -> body.contains("\"name\":\"unclaimed\""));

    rig.backend.finish("busy", new TaskOutcome.Succeeded(""));
    rig.settle();

    assertThat(rig.wakeups()).endsWith("unclaimed");
    assertThat(rig.get("unclaimed").getMetadata().getLabels())
        .containsEntry(AgentTaskKeys.WORKER_ID_LABEL, "w1");
    assertThat(rig.phase("unclaimed")).isEqualTo(AgentTaskPhase.Running);
  }

  @Test
  void aCancelledTaskIsTakenByAFullReplicaBecauseEndingItCostsNothing() {
    rig = new ReconcilerRig("worker_id: w1\nmax_concurrent_tasks: 1");
    rig.create(assignedTo("w1", userTask("busy")));
    rig.settle();

    rig.create(userTask("cancelled", spec -> spec.setCancel(true)));
    rig.settle();

    assertThat(rig.phase("cancelled")).isEqualTo(AgentTaskPhase.Cancelled);
    assertThat(rig.get("cancelled").getMetadata().getLabels())
        .containsEntry(AgentTaskKeys.WORKER_ID_LABEL, "w1");
    assertThat(rig.backend.calls()).containsExactly("start:busy");
  }

  @Test
  void cancellingAQueuedTaskGivesUpItsPlaceAndNeverStartsIt() {
    rig = new ReconcilerRig("worker_id: w1\nmax_concurrent_tasks: 1");
    rig.create(assignedTo("w1", userTask("busy")));
    rig.create(assignedTo("w1", userTask("waiting")));
    rig.settle();
    assertThat(rig.reconciler.queuedTasks()).isEqualTo(1);

    AgentTask waiting = rig.get("waiting");
    waiting.getSpec().setCancel(true);
    rig.client.resource(waiting).update();
    rig.settle();

    assertThat(rig.phase("waiting")).isEqualTo(AgentTaskPhase.Cancelled);
    assertThat(rig.reconciler.queuedTasks()).isZero();
    rig.backend.finish("busy", new TaskOutcome.Succeeded(""));
    rig.settle();
    assertThat(rig.backend.calls()).containsExactly("start:busy", "cleanup:busy");
  }

  @Test
  void aTaskRefusedAsInvalidGivesBackTheSlotItWasClaimedWith() {
    rig = new ReconcilerRig("worker_id: w1\nmax_concurrent_tasks: 1");
    rig.create(userTask("invalid", spec -> spec.setPrompt(null)));
    rig.settle();
    assertThat(rig.phase("invalid")).isEqualTo(AgentTaskPhase.Failed);
    assertThat(rig.reconciler.activeTasks()).isZero();

    rig.create(userTask("valid"));
    rig.settle();

    assertThat(rig.phase("valid")).isEqualTo(AgentTaskPhase.Running);
  }

  @Test
  void aTaskWaitingForItsSecretHoldsNoSlot() {
    rig = new ReconcilerRig("worker_id: w1\nmax_concurrent_tasks: 1");
    rig.create(
        assignedTo("w1", userTask("needs-env", spec -> spec.setEnvFrom(new EnvSource("absent")))));
    rig.create(assignedTo("w1", userTask("ready")));

    rig.settle();

    assertThat(rig.phase("needs-env")).isEqualTo(AgentTaskPhase.Pending);
    assertThat(conditions(rig.get("needs-env"))).containsEntry("Accepted", "False/SecretNotFound");
    assertThat(rig.phase("ready")).isEqualTo(AgentTaskPhase.Running);
  }

  private static AgentTaskPhase running() {
    return AgentTaskPhase.Running;
  }

  private static AgentTaskPhase pending() {
    return AgentTaskPhase.Pending;
  }
}
