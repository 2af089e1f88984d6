package dev.ozworker.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.config.BackendKind;
import dev.ozworker.oz.OzFrames;
import dev.ozworker.oz.OzTask;
import dev.ozworker.oz.TaskAssignment;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AssignmentMappingTest {
  static final String TASK_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

  final AssignmentMapping mapping = new AssignmentMapping("pool-a-0", BackendKind.DIRECT);

  @Test
  void storesEverythingButTheSecretsInTheSpec() throws Exception {
    TaskResources resources = mapping.toResources(referenceAssignment());
    AgentTaskSpec spec = resources.agentTask().getSpec();

    assertThat(resources.agentTask().getMetadata().getName()).isEqualTo(TASK_ID + "-" + hashOf());
    assertThat(spec.getTaskId()).isEqualTo(TASK_ID);
    assertThat(spec.getExecutionId()).isEqualTo("exec-2");
    assertThat(spec.getTitle()).isEqualTo("Fix the flaky test");
    assertThat(spec.getPrompt()).isEqualTo("Make CI green");
    assertThat(spec.getImage()).isEqualTo("ghcr.io/acme/env:1");
    assertThat(spec.getSidecarImage()).isEqualTo("warpdotdev/agent:2");
    assertThat(spec.getAdditionalOzArgs()).containsExactly("--debug");
    assertThat(spec.getInstanceShape().vcpus()).isEqualTo(4);
    assertThat(spec.getOwner().type()).isEqualTo("TEAM");
    assertThat(spec.getAgentConfig().modelId()).isEqualTo("claude-4-opus");
    assertThat(spec.getEnvFrom().secretName())
        .isEqualTo(resources.envSecret().orElseThrow().getMetadata().getName())
        .isEqualTo(resources.agentTask().getMetadata().getName() + "-env");
    assertThat(spec.getBackend()).as("the worker's own backend decides").isNull();
    assertThat(spec.getCancel()).isNull();
    assertThat(resources.agentTask().getStatus()).isNull();
  }

  @Test
  void anAssignmentWithoutEnvVarsHasNoSecretToStore() throws Exception {
    TaskResources resources =
        mapping.toResources(
            new TaskAssignment(
                "bare",
                null,
                new OzTask(
                    "bare", "t", new OzTask.TaskDefinition("p"), null, null, null, null, null),
                null,
                null,
                Map.of(),
                List.of(),
                List.of(),
                null));

    assertThat(resources.envSecret()).isEmpty();
    assertThat(resources.agentTask().getSpec().getEnvFrom()).isNull();
  }

  @Test
  void putsTheEnvVarsInTheSecretAndNowhereElse() throws Exception {
    TaskResources resources = mapping.toResources(referenceAssignment());
    Secret secret = resources.envSecret().orElseThrow();

    assertThat(secret.getType()).isEqualTo("Opaque");
    assertThat(secret.getImmutable()).isTrue();
    assertThat(secret.getData())
        .containsOnlyKeys("GITHUB_ACCESS_TOKEN", "WARP_API_KEY")
        .containsEntry("WARP_API_KEY", base64("wk_secret"));
    assertThat(Serialization.asJson(resources.agentTask()))
        .doesNotContain("ghs_secret", "wk_secret");
    assertThat(resources.toString()).doesNotContain("ghs_secret", "wk_secret");
  }

  @Test
  void labelsBothResourcesForThisWorker() throws Exception {
    TaskResources resources = mapping.toResources(referenceAssignment());
    Map<String, String> expected =
        Map.of(
            "ozworker.dev/worker-id", "pool-a-0",
            "ozworker.dev/task-id", TASK_ID,
            "ozworker.dev/backend", "direct");

    assertThat(resources.agentTask().getMetadata().getLabels()).isEqualTo(expected);
    assertThat(resources.envSecret().orElseThrow().getMetadata().getLabels()).isEqualTo(expected);
  }

  @Test
  void mapsTheSameAssignmentToTheSameResources() throws Exception {
    TaskResources first = mapping.toResources(referenceAssignment());
    TaskResources again = mapping.toResources(referenceAssignment());

    assertThat(Serialization.asJson(again.agentTask()))
        .isEqualTo(Serialization.asJson(first.agentTask()));
    assertThat(again.envSecret().orElseThrow()).isEqualTo(first.envSecret().orElseThrow());
  }

  @Test
  void namesATaskWithoutExecutionIdByItsIdAlone() throws Exception {
    TaskAssignment assignment =
        new TaskAssignment(
            TASK_ID,
            null,
            new OzTask(TASK_ID, "t", null, null, null, null, null, null),
            null,
            null,
            Map.of(),
            List.of(),
            List.of(),
            null);

    AgentTask task = mapping.toResources(assignment).agentTask();

    assertThat(task.getMetadata().getName()).isEqualTo(TASK_ID);
    assertThat(task.getSpec().getPrompt()).isEmpty();
  }

  @Test
  void refusesAnAssignmentWithoutATaskWithoutQuotingItsSecrets() {
    TaskAssignment noTask =
        new TaskAssignment(
            TASK_ID, null, null, null, null, Map.of("TOKEN", "s3cret"), null, null, null);

    assertThatThrownBy(() -> mapping.toResources(noTask))
        .isInstanceOf(InvalidAssignmentException.class)
        .hasMessage("task is missing");
  }

  static TaskAssignment referenceAssignment() {
    return OzFrames.referenceAssignment();
  }

  static String hashOf() {
    String name = AgentTaskNames.agentTask(TASK_ID, "exec-2");
    return name.substring(name.lastIndexOf('-') + 1);
  }

  static String base64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }
}
