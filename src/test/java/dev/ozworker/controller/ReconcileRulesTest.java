package dev.ozworker.controller;

import static dev.ozworker.controller.AgentTaskControllerTest.assignedTo;
import static dev.ozworker.controller.AgentTaskControllerTest.conditions;
import static dev.ozworker.controller.AgentTaskControllerTest.sharedSecret;
import static dev.ozworker.controller.AgentTaskControllerTest.userTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.BackendRef;
import dev.ozworker.api.EnvSource;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskOutcome;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rules of a task's life, one reconcile at a time: a status is only written to the version it
 * was decided from, a task whose status records a start is never started again, a final phase is
 * never left, and a task being deleted keeps its finalizer until its teardown has ended.
 */
class ReconcileRulesTest {
  ReconcilerRig rig;

  @BeforeEach
  void start() {
    rig = new ReconcilerRig("worker_id: w1");
  }

  @AfterEach
  void close() {
    rig.close();
  }

  @Test
  void aDecisionFromACopyThatTurnedOutStaleIsMadeAgainFromTheNewerOneAndStartsTheRunOnce() {
    rig.create(assignedTo("w1", userTask("raced")));
    AgentTask old = rig.get("raced");
    annotate("raced");

    UpdateControl<AgentTask> control = rig.reconcile(old);

    assertThat(control.getScheduleDelay()).contains(AgentTaskReconciler.STALE_RECHECK.toMillis());
    assertThat(rig.get("raced").getStatus()).as("nothing written on the newer copy").isNull();
    assertThat(rig.backend.calls()).as("nothing started from the stale copy").isEmpty();

    rig.settle();

    assertThat(rig.phase("raced")).isEqualTo(AgentTaskPhase.Running);
    assertThat(rig.backend.count("start", "raced")).isEqualTo(1);
  }

  @Test
  void aStaleCopyOfARunningTaskChangesNothingAndIsDecidedAgain() {
    rig.create(assignedTo("w1", userTask("steady")));
    rig.reconcile("steady");
    AgentTask preparing = rig.get("steady");
    rig.settle();
    assertThat(rig.phase("steady")).isEqualTo(AgentTaskPhase.Running);

    UpdateControl<AgentTask> control = rig.reconcile(preparing);

    assertThat(control.getScheduleDelay()).contains(AgentTaskReconciler.STALE_RECHECK.toMillis());
    assertThat(rig.phase("steady")).isEqualTo(AgentTaskPhase.Running);
    assertThat(rig.backend.calls()).containsExactly("start:steady");
  }

  @Test
  void whatABackendTellsAsItStartsIsWrittenByTheNextPassWhichItWakes() {
    rig.backend.tellingAsItStarts();
    rig.create(assignedTo("w1", userTask("told")));

    rig.reconcile("told");

    assertThat(rig.phase("told"))
        .as("the start, written before the run")
        .isEqualTo(AgentTaskPhase.Preparing);
    assertThat(rig.wakeups()).contains("told");
    rig.settle();
    assertThat(rig.phase("told")).isEqualTo(AgentTaskPhase.Running);
    assertThat(statusWrites("told"))
        .containsExactly(AgentTaskPhase.Preparing, AgentTaskPhase.Running);
  }

  @Test
  void aRunThatSaysItRunsAsItStartsAndEndsBeforeTheNextPassCostsTwoStatusWrites() {
    rig.backend.tellingAsItStarts();
    rig.create(assignedTo("w1", userTask("brief")));

    rig.reconcile("brief");
    rig.backend.finish("brief", new TaskOutcome.Succeeded("done\n"));
    rig.settle();

    assertThat(rig.phase("brief")).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(conditions(rig.get("brief"))).containsEntry("Started", "True/AgentRunning");
    assertThat(statusWrites("brief"))
        .containsExactly(AgentTaskPhase.Preparing, AgentTaskPhase.Succeeded);
  }

  @Test
  void aTaskWhoseStatusRecordsAStartIsNeverStartedAgainWhateverItsPhase() {
    rig.create(assignedTo("w1", userTask("started-once")));
    AgentTaskStatus pendingAfterAStart = new AgentTaskStatus();
    pendingAfterAStart.setPhase(AgentTaskPhase.Pending);
    pendingAfterAStart.setWorkerId("w1");
    pendingAfterAStart.setBackendRef(BackendRef.planned("direct", "started-once"));
    withStatus("started-once", pendingAfterAStart);

    rig.settle();

    AgentTask task = rig.get("started-once");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(task.getStatus().getMessage()).contains("found no process for run started-once");
    assertThat(rig.backend.calls())
        .containsExactly("reattach:started-once", "cleanup:started-once");
  }

  @Test
  void aStartWhoseWriteWasStoredThoughItsAnswerWasLostIsNeverMade() {
    rig.create(assignedTo("w1", userTask("lost-answer")));
    rig.api.failUpdatesContaining("Preparing");
    assertThatThrownBy(() -> rig.reconcile("lost-answer"))
        .isInstanceOf(KubernetesClientException.class);
    rig.api.failUpdatesContaining(null);
    // What the failed write carried, stored after all: as when the API server stored it and its
    // answer was lost on the way back.
    AgentTaskStatus preparing = new AgentTaskStatus();
    preparing.setPhase(AgentTaskPhase.Preparing);
    preparing.setWorkerId("w1");
    preparing.setBackendRef(BackendRef.planned("direct", "lost-answer"));
    withStatus("lost-answer", preparing);

    UpdateControl<AgentTask> control = rig.reconcile("lost-answer");

    assertThat(control.getScheduleDelay()).contains(AgentTaskReconciler.STALE_RECHECK.toMillis());
    assertThat(rig.backend.calls()).isEmpty();
    rig.advance(AgentTaskReconciler.STALE_RECHECK);
    assertThat(rig.phase("lost-answer")).isEqualTo(AgentTaskPhase.Failed);
    assertThat(rig.backend.calls()).containsExactly("reattach:lost-answer", "cleanup:lost-answer");
  }

  @Test
  void aFinishedTaskHandedBackInAnOlderCopyIsNeitherStartedNorTornDownAgain() {
    rig.create(assignedTo("w1", userTask("done")));
    rig.settle();
    AgentTask running = rig.get("done");
    rig.backend.finish("done", new TaskOutcome.Succeeded("ok"));
    rig.settle();
    AgentTask finished = rig.get("done");
    assertThat(conditions(finished)).containsEntry("TornDown", "True/CleanedUp");

    UpdateControl<AgentTask> control = rig.reconcile(running);

    assertThat(control.getScheduleDelay()).isEmpty();
    assertThat(rig.get("done").getMetadata().getResourceVersion())
        .as("nothing written")
        .isEqualTo(finished.getMetadata().getResourceVersion());
    assertThat(rig.backend.calls()).containsExactly("start:done", "cleanup:done");
  }

  @Test
  void cancellingAFinishedTaskLeavesItsFinalPhaseAndTouchesNoBackend() {
    rig.backend.ends("over", new TaskOutcome.Succeeded("ok"));
    rig.create(assignedTo("w1", userTask("over")));
    rig.settle();
    AgentTaskStatus before = rig.get("over").getStatus();

    setCancel("over");
    rig.settle();

    AgentTaskStatus after = rig.get("over").getStatus();
    assertThat(after.getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(after.getMessage()).isEqualTo(before.getMessage());
    assertThat(rig.backend.count("cancel")).isZero();
  }

  @Test
  void cancellingAPendingTaskNeverReachesTheBackend() {
    rig.create(assignedTo("w1", userTask("early", spec -> spec.setCancel(true))));

    rig.settle();

    assertThat(conditions(rig.get("early"))).containsEntry("Completed", "True/Cancelled");
    assertThat(rig.backend.calls()).isEmpty();
  }

  @Test
  void aDeletedTaskKeepsItsFinalizerUntilItsTeardownHasEnded() {
    rig.create(assignedTo("w1", userTask("doomed")));
    rig.settle();
    var teardown = rig.backend.holdTeardown("doomed");
    rig.client.resource(rig.get("doomed")).delete();

    DeleteControl stopping = rig.cleanup("doomed");
    assertThat(stopping.isRemoveFinalizer()).isFalse();
    assertThat(rig.backend.calls()).containsExactly("start:doomed", "cancel:doomed");
    rig.settle();
    assertThat(rig.backend.calls()).endsWith("cleanup:doomed");
    assertThat(rig.get("doomed")).as("held by the finalizer while teardown runs").isNotNull();
    assertThat(rig.dueIn("doomed")).contains(AgentTaskReconciler.RECHECK);

    teardown.complete(Optional.empty());
    rig.settle();

    assertThat(rig.get("doomed")).isNull();
    assertThat(rig.backend.count("cleanup", "doomed")).isEqualTo(1);
  }

  @Test
  void aSharedUserSecretIsReadButNeverOwnedByATask() {
    rig.client
        .secrets()
        .inNamespace(rig.namespace())
        .resource(sharedSecret("team-env", "TOKEN", "t"))
        .create();
    rig.create(
        assignedTo("w1", userTask("uses-shared", s -> s.setEnvFrom(new EnvSource("team-env")))));

    rig.settle();

    assertThat(rig.phase("uses-shared")).isEqualTo(AgentTaskPhase.Running);
    assertThat(rig.backend.spec("uses-shared").env().asMap()).containsEntry("TOKEN", "t");
    assertThat(
            rig.client
                .secrets()
                .inNamespace(rig.namespace())
                .withName("team-env")
                .get()
                .getMetadata()
                .getOwnerReferences())
        .isNullOrEmpty();
  }

  @Test
  void aDrainingWorkerEndsItsPendingTasksAsShutDownAndLeavesUnclaimedOnesToOthers() {
    rig.create(assignedTo("w1", userTask("mine")));
    rig.create(userTask("unclaimed"));
    rig.reconciler.drain();

    rig.settle();

    AgentTask mine = rig.get("mine");
    assertThat(mine.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Cancelled);
    assertThat(mine.getStatus().getFailureReason()).isEqualTo(FailureReason.GRACEFUL_SHUTDOWN);
    AgentTask unclaimed = rig.get("unclaimed");
    assertThat(unclaimed.getMetadata().getLabels()).isNullOrEmpty();
    assertThat(unclaimed.getStatus()).isNull();
    assertThat(rig.backend.calls()).isEmpty();
  }

  @Test
  void aRunStoppedAtShutdownEndsAsGracefulShutdownAfterItsGrace() {
    rig.create(assignedTo("w1", userTask("busy")));
    rig.settle();

    rig.reconciler.stopRuns(Duration.ofSeconds(3));
    rig.settle();

    AgentTask task = rig.get("busy");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Cancelled);
    assertThat(task.getStatus().getFailureReason()).isEqualTo(FailureReason.GRACEFUL_SHUTDOWN);
    assertThat(rig.backend.graces()).containsExactly(Duration.ofSeconds(3));
    assertThat(rig.backend.calls()).containsExactly("start:busy", "cancel:busy", "cleanup:busy");
  }

  /** The phase each status write to the task carried, in order. */
  private List<AgentTaskPhase> statusWrites(String name) {
    return rig.api.statusWrites().stream()
        .filter(body -> body.contains("\"name\":\"" + name + "\""))
        .map(body -> rig.client.getKubernetesSerialization().unmarshal(body, AgentTask.class))
        .map(task -> task.getStatus().getPhase())
        .toList();
  }

  private void annotate(String name) {
    rig.client
        .resources(AgentTask.class)
        .inNamespace(rig.namespace())
        .withName(name)
        .edit(
            task -> {
              task.getMetadata().setAnnotations(Map.of("example.com/touched", "yes"));
              return task;
            });
  }

  private void setCancel(String name) {
    rig.client
        .resources(AgentTask.class)
        .inNamespace(rig.namespace())
        .withName(name)
        .edit(
            task -> {
              task.getSpec().setCancel(true);
              return task;
            });
  }

  private void withStatus(String name, AgentTaskStatus status) {
    AgentTask task = rig.get(name);
    task.setStatus(status);
    rig.client.resource(task).updateStatus();
  }
}
