package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Claiming an unlabelled task: two replicas holding the same version, one wins. */
class TaskOwnershipTest {
  MockApi api;
  KubernetesClient client;

  @BeforeEach
  void startApiServer() {
    api = MockApi.start();
    client = api.client();
  }

  @AfterEach
  void stopApiServer() {
    api.close();
  }

  @Test
  void ofTwoReplicasClaimingTheSameVersionExactlyOneWins() {
    AgentTask created =
        client.resource(AgentTaskControllerTest.userTask("contested")).inNamespace("test").create();
    TaskOwnership first = new TaskOwnership("w1");
    TaskOwnership second = new TaskOwnership("w2");

    boolean firstWon = first.claim(api.client(), created);
    boolean secondWon = second.claim(api.client(), created);

    assertThat(firstWon).isTrue();
    assertThat(secondWon).as("second claim carried a stale resourceVersion").isFalse();
    AgentTask stored =
        client.resources(AgentTask.class).inNamespace("test").withName("contested").get();
    assertThat(stored.getMetadata().getLabels()).containsEntry(AgentTaskKeys.WORKER_ID_LABEL, "w1");
    assertThat(first.isMine(stored)).isTrue();
    assertThat(second.isMine(stored)).isFalse();
    assertThat(second.concernsThisWorker(stored)).isFalse();
  }

  @Test
  void aClaimKeepsTheTasksOtherLabelsAndItsSpec() {
    AgentTask task = AgentTaskControllerTest.userTask("labelled");
    task.getMetadata().setLabels(java.util.Map.of("team", "infra"));
    AgentTask created = client.resource(task).inNamespace("test").create();

    assertThat(new TaskOwnership("w1").claim(client, created)).isTrue();

    AgentTask stored =
        client.resources(AgentTask.class).inNamespace("test").withName("labelled").get();
    assertThat(stored.getMetadata().getLabels())
        .containsEntry("team", "infra")
        .containsEntry(AgentTaskKeys.WORKER_ID_LABEL, "w1");
    assertThat(stored.getSpec().getPrompt()).isEqualTo("Say hello");
  }
}
