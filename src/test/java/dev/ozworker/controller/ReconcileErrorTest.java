package dev.ozworker.controller;

import static dev.ozworker.controller.AgentTaskControllerTest.assignedTo;
import static dev.ozworker.controller.AgentTaskControllerTest.conditions;
import static dev.ozworker.controller.AgentTaskControllerTest.sharedSecret;
import static dev.ozworker.controller.AgentTaskControllerTest.userTask;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.EnvSource;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.observe.Redactor;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A reconcile that fails shows on its task (condition ReconcileError and a Warning Event), as
 * {@code kubectl describe} shows them, once per run of failures, and turns false when one succeeds
 * again; only the owner writes it, never on a finished task, and never with a secret in it.
 */
class ReconcileErrorTest {
  ReconcilerRig rig;

  @AfterEach
  void close() {
    if (rig != null) {
      rig.close();
    }
  }

  @Test
  void aFailingReconcileShowsOnTheTaskOnceAndTurnsFalseWhenOneSucceeds() {
    rig = new ReconcilerRig("worker_id: w1");
    rig.create(userTask("patient"));
    rig.api.failUpdatesContaining("Preparing");
    rig.settle();

    AgentTask failing = rig.get("patient");
    assertThat(failing.getStatus().getPhase()).as("the phase is left alone").isNull();
    assertThat(conditions(failing)).containsExactly(entry("True/ReconcileFailed"));
    Condition shown = condition(failing);
    assertThat(shown.getMessage())
        .startsWith(
            "reconciling failed, retrying: KubernetesClientException: Failure executing: PUT")
        .endsWith("/agenttasks/patient/status. Message: etcd is unavailable")
        .doesNotContain("Received status");
    assertThat(shown.getLastTransitionTime()).isEqualTo("2026-12-05T10:00:00Z");
    assertThat(warnings("patient")).containsExactly("ReconcileFailed: " + shown.getMessage());

    rig.advance(Duration.ofMinutes(10));
    assertThat(rig.backend.count("start")).as("ten minutes of refused writes").isZero();
    assertThat(errorWrites())
        .as("one write for the whole run of failures, none per retry")
        .hasSize(1);

    rig.api.failUpdatesContaining(null);
    rig.advance(Duration.ofSeconds(30));

    AgentTask recovered = rig.get("patient");
    assertThat(recovered.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Running);
    assertThat(conditions(recovered)).containsEntry("ReconcileError", "False/Reconciled");
    assertThat(condition(recovered).getMessage()).isEqualTo("the worker reconciles the task again");
    assertThat(warnings("patient")).hasSize(1);
    int writes = rig.api.statusWrites().size();
    rig.reconcile("patient");
    assertThat(rig.api.statusWrites()).as("a reconcile that changes nothing").hasSize(writes);
  }

  @Test
  void theFrameworkWritesNothingItselfAndRetries() {
    rig = new ReconcilerRig("worker_id: w1");
    rig.create(assignedTo("w1", userTask("mine")));

    ErrorStatusUpdateControl<AgentTask> control =
        rig.failed("mine", new IllegalStateException("the engine went away"));

    assertThat(control.isDefaultErrorProcessing()).isFalse();
    assertThat(control.getResource()).as("the status went out through the StatusWriter").isEmpty();
    assertThat(control.isNoRetry()).isFalse();
    assertThat(control.getScheduleDelay()).isEmpty();
    assertThat(condition(rig.get("mine")).getMessage())
        .isEqualTo("reconciling failed, retrying: IllegalStateException: the engine went away");
  }

  @Test
  void laterFailuresOfTheSameRunGoToTheLogOnlyWhateverTheySay() {
    rig = new ReconcilerRig("worker_id: w1");
    rig.create(assignedTo("w1", userTask("mine")));
    rig.failed("mine", new IllegalStateException("first"));
    int writes = rig.api.statusWrites().size();

    // Each write would bring the next attempt forward, ahead of the retry's backoff.
    rig.failed("mine", new IllegalStateException("second"));
    rig.failed("mine", new IllegalStateException("third"));

    assertThat(rig.api.statusWrites()).hasSize(writes);
    assertThat(condition(rig.get("mine")).getMessage()).endsWith("IllegalStateException: first");
  }

  @Test
  void theMessageMasksTheSecretValuesOfTheTasksRun() {
    rig = new ReconcilerRig("worker_id: w1");
    rig.client
        .secrets()
        .inNamespace(rig.namespace())
        .resource(sharedSecret("env", "TOKEN", "tok-3f9a8c7e"))
        .create();
    rig.create(userTask("private", spec -> spec.setEnvFrom(new EnvSource("env"))));
    rig.settle();
    assertThat(rig.phase("private")).isEqualTo(AgentTaskPhase.Running);

    rig.failed("private", new IllegalStateException("the agent said tok-3f9a8c7e"));

    String message = condition(rig.get("private")).getMessage();
    assertThat(message).endsWith("the agent said " + Redactor.MASK).doesNotContain("tok-3f9a8c7e");
    assertThat(warnings("private")).singleElement().asString().doesNotContain("tok-3f9a8c7e");
  }

  @Test
  void aFinishedTaskAndAnotherWorkersTaskAreNeverWritten() {
    rig = new ReconcilerRig("worker_id: w1");
    rig.create(userTask("done"));
    rig.settle();
    rig.backend.finish("done", new TaskOutcome.Succeeded("ok"));
    rig.settle();
    assertThat(rig.phase("done")).isEqualTo(AgentTaskPhase.Succeeded);
    rig.create(assignedTo("w2", userTask("theirs")));
    int writes = rig.api.statusWrites().size();

    rig.failed("done", new IllegalStateException("could not delete it"));
    rig.failed("theirs", new IllegalStateException("could not look at it"));

    assertThat(rig.api.statusWrites()).hasSize(writes);
    assertThat(conditions(rig.get("done"))).doesNotContainKey("ReconcileError");
    assertThat(rig.get("theirs").getStatus()).isNull();
  }

  @Test
  void aLongDescriptionIsCutToItsFirstKibibyte() {
    String described =
        ReconcileErrors.describe(new IllegalStateException("x".repeat(5000)), Redactor.none());

    assertThat(described).hasSize(ReconcileErrors.MESSAGE_CHARS).endsWith("xxx...");
  }

  private static java.util.Map.Entry<String, String> entry(String value) {
    return java.util.Map.entry("ReconcileError", value);
  }

  private static Condition condition(AgentTask task) {
    return AgentTaskConditions.find(
            task.getStatus().getConditions(), AgentTaskConditions.RECONCILE_ERROR)
        .orElseThrow();
  }

  /** The status writes that turned ReconcileError true (the refused ones with a phase carry it). */
  private List<String> errorWrites() {
    return rig.api.statusWrites().stream()
        .filter(body -> body.contains("\"ReconcileFailed\"") && !body.contains("\"phase\""))
        .toList();
  }

  /** The Warning Events on the task, as {@code reason: message}. */
  private List<String> warnings(String name) {
    return rig.client.v1().events().inNamespace(rig.namespace()).list().getItems().stream()
        .filter(event -> event.getInvolvedObject().getName().equals(name))
        .filter(event -> "Warning".equals(event.getType()))
        .map((Event event) -> event.getReason() + ": " + event.getMessage())
        .toList();
  }
}
