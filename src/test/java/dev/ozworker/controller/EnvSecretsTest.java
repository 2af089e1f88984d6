package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.ApiKey;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.intake.AssignmentMapping;
import dev.ozworker.intake.TaskResources;
import dev.ozworker.oz.OzFrames;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Owning a task's Secret on the mock API server (CRUD mode), which checks resource versions. */
class EnvSecretsTest {
  final MockApi api = MockApi.start();
  final KubernetesClient client = api.client();
  final IntakeProof proof = IntakeProof.of(new ApiKey("wk_worker"));
  final EnvSecretRule rule = rule();

  static EnvSecretRule rule() {
    try {
      WorkerConfig config =
          WorkerConfigs.resolve("worker_id: w1\n", Map.of("WARP_API_KEY", "wk_worker"));
      return new EnvSecretRule(config, IntakeProof.of(config.apiKey()));
    } catch (ConfigException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The reference assignment's resources, as the intake stores them in the client's namespace. */
  TaskResources referenceResources() throws Exception {
    return new AssignmentMapping("w1", BackendKind.DIRECT)
        .toResources(OzFrames.referenceAssignment())
        .provenIn(client.getNamespace(), proof);
  }

  @AfterEach
  void stop() {
    api.close();
  }

  /** A task's Secret and the task, as the API server answered their creation. */
  record Stored(Secret secret, AgentTask task) {}

  Stored storeReferenceTask() throws Exception {
    TaskResources resources = referenceResources();
    Secret secret = client.resource(resources.envSecret().orElseThrow()).create();
    return new Stored(secret, client.resource(resources.agentTask()).create());
  }

  @Test
  void aSecretChangedSinceItWasReadIsOwnedOnItsNewVersionKeepingTheChange() throws Exception {
    Stored stored = storeReferenceTask();
    Secret read = stored.secret();
    AgentTask task = stored.task();
    client
        .secrets()
        .withName(read.getMetadata().getName())
        .edit(
            s ->
                new SecretBuilder(s).editMetadata().addToLabels("team", "a").endMetadata().build());

    new EnvSecrets(client, rule).own(task, read);

    Secret now = client.secrets().withName(read.getMetadata().getName()).get();
    assertThat(now.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(owner -> assertThat(owner.getUid()).isEqualTo(task.getMetadata().getUid()));
    assertThat(now.getMetadata().getLabels()).containsEntry("team", "a");
  }

  @Test
  void owningASecretAsItWasReadTakesOneRequest() throws Exception {
    Stored stored = storeReferenceTask();
    Secret read = stored.secret();
    AgentTask task = stored.task();
    int before = api.requestCount();

    new EnvSecrets(client, rule).own(task, read);

    assertThat(api.requestCount() - before).isEqualTo(1);
    assertThat(
            client
                .secrets()
                .withName(read.getMetadata().getName())
                .get()
                .getMetadata()
                .getOwnerReferences())
        .singleElement()
        .satisfies(owner -> assertThat(owner.getUid()).isEqualTo(task.getMetadata().getUid()));
  }

  @Test
  void aSecretNotMadeForTheTaskIsNeverOwnedWhateverItsLabels() throws Exception {
    TaskResources resources = referenceResources();
    AgentTask task = client.resource(resources.agentTask()).create();
    Secret lookalike =
        client
            .resource(
                new SecretBuilder(resources.envSecret().orElseThrow())
                    .editMetadata()
                    .withAnnotations(Map.of())
                    .endMetadata()
                    .build())
            .create();

    new EnvSecrets(client, rule).own(task, lookalike);

    assertThat(lookalike.getMetadata().getLabels())
        .as("labelled as the intake labels it")
        .containsKey(AgentTaskKeys.TASK_ID_LABEL);
    assertThat(
            client
                .secrets()
                .withName(lookalike.getMetadata().getName())
                .get()
                .getMetadata()
                .getOwnerReferences())
        .isNullOrEmpty();
  }
}
