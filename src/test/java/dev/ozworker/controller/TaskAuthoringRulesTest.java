package dev.ozworker.controller;

import static dev.ozworker.controller.AgentTaskControllerTest.sharedSecret;
import static dev.ozworker.controller.AgentTaskControllerTest.userTask;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.EnvSource;
import dev.ozworker.api.SidecarMount;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.BackendKind;
import dev.ozworker.intake.AssignmentMapping;
import dev.ozworker.intake.TaskResources;
import dev.ozworker.oz.OzFrames;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What authoring an AgentTask by hand may make the worker do (docs/security.md, "Authoring an
 * AgentTask"): which Secrets it may use, which images it may run, and that only the intake's proof
 * makes a task one from Oz. The rig's worker holds the API key {@code wk_worker}.
 */
class TaskAuthoringRulesTest {
  ReconcilerRig rig = new ReconcilerRig("worker_id: w1");

  @AfterEach
  void stop() {
    rig.close();
  }

  @Test
  void aHandWrittenTaskNamingTheApiKeySecretFailsEvenWhenTheSecretIsLabelled() {
    store(sharedSecret("oz-worker-api-key", "WARP_API_KEY", "wk_worker"));
    rig.create(userTask("thief", spec -> spec.setEnvFrom(new EnvSource("oz-worker-api-key"))));

    rig.settle();

    assertRefused("thief", "oz-worker-api-key", "holds the worker's Oz API key");
    assertThat(rig.get("thief").getStatus().getMessage()).doesNotContain("wk_worker");
  }

  @Test
  void aSecretHoldingTheApiKeyIsRefusedWhateverItsNameAndLabel() {
    store(sharedSecret("copied", "KEY", "wk_worker\n"));
    rig.create(userTask("thief", spec -> spec.setEnvFrom(new EnvSource("copied"))));

    rig.settle();

    assertRefused("thief", "copied", "holds the worker's Oz API key");
  }

  @Test
  void aHandWrittenTaskNamingAnotherTasksSecretFailsEvenWithItsSpecAndProofCopied()
      throws Exception {
    TaskResources fromOz = storedByIntake();
    AgentTask copy = userTask("thief");
    copy.setSpec(fromOz.agentTask().getSpec());
    copy.getMetadata()
        .setAnnotations(new HashMap<>(fromOz.agentTask().getMetadata().getAnnotations()));
    rig.create(copy);

    rig.settle();

    assertRefused(
        "thief",
        fromOz.envSecret().orElseThrow().getMetadata().getName(),
        "was not made by the worker for this task");
    String runId = fromOz.agentTask().getSpec().getTaskId();
    assertThat(rig.phase(fromOz.agentTask().getMetadata().getName()))
        .as("the task from Oz runs with its Secret")
        .isEqualTo(AgentTaskPhase.Running);
    assertThat(rig.backend.count("start", runId)).isEqualTo(1);
    assertThat(rig.backend.spec(runId).env().asMap()).containsKey("GITHUB_ACCESS_TOKEN");
  }

  @Test
  void aSecretLabelledByTheIntakeButNotMadeByItIsRefused() throws Exception {
    TaskResources fromOz = storedByIntake();
    Secret lookalike =
        new SecretBuilder(fromOz.envSecret().orElseThrow())
            .editMetadata()
            .withName("lookalike")
            .withAnnotations(Map.of())
            .withResourceVersion(null)
            .endMetadata()
            .build();
    store(lookalike);
    rig.create(userTask("thief", spec -> spec.setEnvFrom(new EnvSource("lookalike"))));

    rig.settle();

    assertRefused(
        "thief", "lookalike", "kubectl label secret lookalike ozworker.dev/usable-by-tasks=true");
  }

  @Test
  void aSecretTheNamespaceOwnerMarkedUsableByTasksIsUsedAndNeverOwned() {
    store(sharedSecret("team-env", "TOKEN", "t"));
    rig.create(userTask("shares", spec -> spec.setEnvFrom(new EnvSource("team-env"))));

    rig.settle();

    assertThat(rig.phase("shares")).isEqualTo(AgentTaskPhase.Running);
    assertThat(rig.backend.spec("shares").env().asMap()).containsEntry("TOKEN", "t");
    assertThat(secret("team-env").getMetadata().getOwnerReferences()).isNullOrEmpty();
  }

  @Test
  void aForgedTaskIdMakesNoTaskFromOz() {
    rig = new ReconcilerRig("worker_id: w1\nfinished_task_ttl: 1m");
    rig.backend.ends("forged", new TaskOutcome.Succeeded(""));
    rig.create(userTask("forged", spec -> spec.setTaskId("forged")));

    rig.settle();
    rig.advance(Duration.ofMinutes(2));

    assertThat(rig.get("forged"))
        .as("expired by its TTL: no result of it is awaited by Oz")
        .isNull();
  }

  @Test
  void withUserTasksOffAHandWrittenTaskFailsAndATaskFromOzRuns() throws Exception {
    rig = new ReconcilerRig("worker_id: w1\nuser_tasks: {enabled: false}");
    rig.create(userTask("by-hand"));
    TaskResources fromOz = storedByIntake();

    rig.settle();

    assertThat(rig.phase("by-hand")).isEqualTo(AgentTaskPhase.Failed);
    assertThat(rig.get("by-hand").getStatus().getMessage())
        .contains(AgentTaskReconciler.USER_TASKS_OFF);
    assertThat(rig.backend.count("start", "by-hand")).isZero();
    assertThat(rig.phase(fromOz.agentTask().getMetadata().getName()))
        .isEqualTo(AgentTaskPhase.Running);
  }

  @Test
  void aHandWrittenTaskRunsOnlyTheImagesTheAllowListsName() throws Exception {
    rig =
        new ReconcilerRig(
            "worker_id: w1\nuser_tasks:\n  images: [registry.example/agents/*]\n"
                + "  sidecar_images: [registry.example/tools:1]");
    rig.create(userTask("listed", spec -> spec.setImage("registry.example/agents/python:3")));
    rig.create(userTask("default", spec -> {}));
    rig.create(userTask("unlisted", spec -> spec.setImage("evil.example/miner:1")));
    rig.create(
        userTask(
            "tools",
            spec ->
                spec.setAdditionalSidecars(
                    List.of(new SidecarMount("registry.example/tools:1", "/mnt/tools", false)))));
    rig.create(
        userTask(
            "sidecar",
            spec ->
                spec.setAdditionalSidecars(
                    List.of(new SidecarMount("evil.example/tools:1", "/mnt/tools", false)))));
    TaskResources fromOz = storedByIntake(spec -> spec.setImage("evil.example/miner:1"));

    rig.settle();

    assertThat(rig.phase("listed")).isEqualTo(AgentTaskPhase.Running);
    assertThat(rig.phase("default")).isEqualTo(AgentTaskPhase.Running);
    assertThat(rig.phase("tools")).isEqualTo(AgentTaskPhase.Running);
    assertRefused("unlisted", "spec.image evil.example/miner:1", "user_tasks.images");
    assertRefused(
        "sidecar",
        "spec.additionalSidecars (at /mnt/tools) evil.example/tools:1",
        "user_tasks.sidecar_images");
    assertThat(rig.phase(fromOz.agentTask().getMetadata().getName()))
        .as("tasks from Oz are not limited")
        .isEqualTo(AgentTaskPhase.Running);
  }

  private void assertRefused(String name, String... said) {
    AgentTask task = rig.get(name);
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(task.getStatus().getMessage()).contains(said);
    assertThat(rig.backend.count("start", name)).isZero();
  }

  private TaskResources storedByIntake() throws Exception {
    return storedByIntake(spec -> {});
  }

  /** The reference assignment stored as the intake stores it, its spec edited first. */
  private TaskResources storedByIntake(Consumer<AgentTaskSpec> edit) throws Exception {
    TaskResources assigned =
        new AssignmentMapping("w1", BackendKind.DIRECT).toResources(OzFrames.referenceAssignment());
    edit.accept(assigned.agentTask().getSpec());
    TaskResources stored = assigned.provenIn(rig.namespace(), IntakeProof.of(rig.config.apiKey()));
    store(stored.envSecret().orElseThrow());
    rig.create(stored.agentTask());
    return stored;
  }

  private void store(Secret secret) {
    rig.client.secrets().inNamespace(rig.namespace()).resource(secret).create();
  }

  private Secret secret(String name) {
    return rig.client.secrets().inNamespace(rig.namespace()).withName(name).get();
  }
}
