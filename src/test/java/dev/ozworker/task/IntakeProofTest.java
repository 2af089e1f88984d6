package dev.ozworker.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.EnvSource;
import dev.ozworker.config.ApiKey;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the intake's proof binds, so that a copy onto anything else does not verify. */
class IntakeProofTest {
  final IntakeProof proof = IntakeProof.of(new ApiKey("wk_worker"));
  final AgentTaskSpec spec = spec("t-1", "e-1", "t-1-env");
  final Map<String, String> signed = annotated(proof.ofTask("tasks", "t-1", spec));

  @Test
  void aStoredTaskVerifiesWithTheKeyOfAnyReplicaOfThePool() {
    assertThat(proof.storedTask("tasks", "t-1", signed, spec)).isTrue();
    assertThat(IntakeProof.of(new ApiKey("wk_worker")).storedTask("tasks", "t-1", signed, spec))
        .isTrue();
  }

  @Test
  void aCopyOntoAnotherNameOrNamespaceDoesNotVerify() {
    assertThat(proof.storedTask("tasks", "thief", signed, spec)).isFalse();
    assertThat(proof.storedTask("elsewhere", "t-1", signed, spec)).isFalse();
  }

  @Test
  void anotherTaskIdExecutionOrSecretDoesNotVerify() {
    assertThat(proof.storedTask("tasks", "t-1", signed, spec("t-2", "e-1", "t-1-env"))).isFalse();
    assertThat(proof.storedTask("tasks", "t-1", signed, spec("t-1", "e-2", "t-1-env"))).isFalse();
    assertThat(proof.storedTask("tasks", "t-1", signed, spec("t-1", "e-1", "oz-worker-api-key")))
        .isFalse();
  }

  @Test
  void aProofMadeWithAnotherKeyOrNoneDoesNotVerify() {
    Map<String, String> other =
        annotated(IntakeProof.of(new ApiKey("another")).ofTask("tasks", "t-1", spec));

    assertThat(proof.storedTask("tasks", "t-1", other, spec)).isFalse();
    assertThat(proof.storedTask("tasks", "t-1", null, spec)).isFalse();
    assertThat(proof.storedTask("tasks", "t-1", annotated(""), spec)).isFalse();
  }

  @Test
  void aSecretsProofIsNoTasksAndNamesItsTask() {
    Map<String, String> secret = annotated(proof.ofSecret("tasks", "t-1-env", "t-1", spec));

    assertThat(proof.madeFor("tasks", "t-1-env", secret, "t-1", spec)).isTrue();
    assertThat(proof.madeFor("tasks", "t-1-env", secret, "thief", spec)).isFalse();
    assertThat(proof.madeFor("tasks", "other-env", secret, "t-1", spec)).isFalse();
    assertThat(proof.storedTask("tasks", "t-1", secret, spec)).isFalse();
  }

  @Test
  void fieldsCannotBeShiftedFromOneIntoTheNext() {
    assertThat(proof.ofTask("tasks", "a-b", spec("c", "e", "s")))
        .isNotEqualTo(proof.ofTask("tasks", "a", spec("b-c", "e", "s")));
  }

  private static AgentTaskSpec spec(String taskId, String executionId, String secret) {
    AgentTaskSpec spec = new AgentTaskSpec();
    spec.setTaskId(taskId);
    spec.setExecutionId(executionId);
    spec.setEnvFrom(new EnvSource(secret));
    return spec;
  }

  private static Map<String, String> annotated(String proof) {
    return Map.of(AgentTaskKeys.INTAKE_PROOF_ANNOTATION, proof);
  }
}
