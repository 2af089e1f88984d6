package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.BackendRef;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which tasks a replica adopts from replicas whose pod is gone, on the mock API server: only those
 * that still owe something, only from a pod that is really gone, a container only on its own node,
 * and each by exactly one replica.
 */
class TaskAdoptionTest {
  static final String NAMESPACE = "adoption";

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
  void aRunningTaskOfAVanishedPodIsAdoptedWithItsStatusAndAnEvent() {
    stored("orphan", "pool-a", AgentTaskPhase.Running, "direct", "node-1", false, false);

    assertThat(adopter("pool-b", "node-2").sweep()).containsExactly("orphan");

    AgentTask task = get("orphan");
    assertThat(task.getMetadata().getLabels())
        .containsEntry(AgentTaskKeys.WORKER_ID_LABEL, "pool-b");
    assertThat(task.getMetadata().getAnnotations())
        .containsEntry(AgentTaskKeys.POD_ANNOTATION, "pool-b");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Running);
    assertThat(task.getStatus().getBackendRef().runId()).isEqualTo("orphan");
    assertThat(client.v1().events().inNamespace(NAMESPACE).list().getItems())
        .singleElement()
        .satisfies(
            event -> {
              assertThat(event.getReason()).isEqualTo("Adopted");
              assertThat(event.getMessage())
                  .isEqualTo("worker pool-b takes over: pod pool-a of worker pool-a is gone");
            });
  }

  @Test
  void aTaskWhosePodStillRunsIsLeftAloneAndOneWhosePodEndedIsAdopted() {
    stored("alive", "pool-a", AgentTaskPhase.Running, "direct", "node-1", false, false);
    stored("evicted", "pool-c", AgentTaskPhase.Running, "direct", "node-1", false, false);
    pod("pool-a", "Running");
    pod("pool-c", "Failed");

    assertThat(adopter("pool-b", "node-1").sweep()).containsExactly("evicted");
    assertThat(owner("alive")).isEqualTo("pool-a");
  }

  @Test
  void aContainerIsAdoptedOnlyByAReplicaOnItsNode() {
    stored("in-container", "pool-a", AgentTaskPhase.Running, "docker", "node-1", false, false);

    assertThat(adopter("pool-b", "node-2").sweep()).isEmpty();
    assertThat(adopter("pool-c", "node-1").sweep()).containsExactly("in-container");
    assertThat(owner("in-container")).isEqualTo("pool-c");
  }

  @Test
  void aFinishedTaskIsAdoptedWhileItsResultTeardownOrDeletionIsOwed() {
    stored("unreported", "pool-a", AgentTaskPhase.Succeeded, "direct", "node-1", false, true);
    stored("not-torn-down", "pool-a", AgentTaskPhase.Failed, "direct", "node-1", true, false);
    stored("settled", "pool-a", AgentTaskPhase.Succeeded, "direct", "node-1", true, true);
    AgentTask held =
        stored(
            "held-by-finalizer",
            "pool-a",
            AgentTaskPhase.Succeeded,
            "docker",
            "node-9",
            true,
            true);
    held.getMetadata().setFinalizers(List.of(AgentTaskKeys.FINALIZER));
    client.resource(held).update();

    assertThat(adopter("pool-b", "node-1").sweep())
        .containsExactlyInAnyOrder("unreported", "not-torn-down", "held-by-finalizer");
    assertThat(owner("settled")).isEqualTo("pool-a");
  }

  @Test
  void aTaskOfAWorkerOutsideAnyPodIsNeverAdopted() {
    AgentTask task = AgentTaskControllerTest.userTask("no-pod");
    task.getMetadata().setLabels(Map.of(AgentTaskKeys.WORKER_ID_LABEL, "laptop"));
    client.resource(task).inNamespace(NAMESPACE).create();

    assertThat(adopter("pool-b", "node-1").sweep()).isEmpty();
    assertThat(owner("no-pod")).isEqualTo("laptop");
  }

  @Test
  void ofTwoReplicasAdoptingTheSameVersionExactlyOneWins() {
    AgentTask read =
        stored("contested", "pool-a", AgentTaskPhase.Running, "direct", "node-1", false, false);

    boolean first = new TaskOwnership("pool-b", Optional.of("pool-b")).adopt(client, read);
    boolean second = new TaskOwnership("pool-c", Optional.of("pool-c")).adopt(client, read);

    assertThat(first).isTrue();
    assertThat(second).as("the second adoption carried a stale resourceVersion").isFalse();
    assertThat(owner("contested")).isEqualTo("pool-b");
  }

  @Test
  void aStoppedAdopterAdoptsNothing() {
    stored("orphan", "pool-a", AgentTaskPhase.Running, "direct", "node-1", false, false);
    TaskAdoption adoption = adopter("pool-b", "node-1");

    adoption.stop();

    assertThat(adoption.sweep()).isEmpty();
    assertThat(owner("orphan")).isEqualTo("pool-a");
  }

  private TaskAdoption adopter(String pod, String node) {
    return new TaskAdoption(
        client,
        NAMESPACE,
        pod,
        Optional.of(pod),
        Optional.of(node),
        new TaskOwnership(pod, Optional.of(pod)),
        Clock.systemUTC());
  }

  /** A task of the replica in {@code pod}, as that replica left it. */
  private AgentTask stored(
      String name,
      String pod,
      AgentTaskPhase phase,
      String backend,
      String node,
      boolean reported,
      boolean tornDown) {
    AgentTask task = AgentTaskControllerTest.userTask(name);
    task.getSpec().setTaskId(name);
    task.getMetadata().setLabels(new HashMap<>(Map.of(AgentTaskKeys.WORKER_ID_LABEL, pod)));
    task.getMetadata().setAnnotations(new HashMap<>(Map.of(AgentTaskKeys.POD_ANNOTATION, pod)));
    AgentTask created = client.resource(task).inNamespace(NAMESPACE).create();
    AgentTaskStatus status = new AgentTaskStatus();
    status.setPhase(phase);
    status.setWorkerId(pod);
    status.setPodName(pod);
    status.setNodeName(node);
    status.setBackendRef(new BackendRef(backend, name, null, null, null, null));
    status.setReported(reported);
    status.setConditions(
        tornDown
            ? List.of(condition(AgentTaskConditions.TORN_DOWN))
            : List.of(condition(AgentTaskConditions.STARTED)));
    created.setStatus(status);
    return client.resource(created).updateStatus();
  }

  private static Condition condition(String type) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus("True")
        .withReason(type)
        .withLastTransitionTime("2026-11-26T10:00:00Z")
        .build();
  }

  private void pod(String name, String phase) {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(NAMESPACE)
            .endMetadata()
            .withNewStatus()
            .withPhase(phase)
            .endStatus()
            .build();
    client.pods().inNamespace(NAMESPACE).resource(pod).create();
  }

  private AgentTask get(String name) {
    return client.resources(AgentTask.class).inNamespace(NAMESPACE).withName(name).get();
  }

  private String owner(String name) {
    return get(name).getMetadata().getLabels().get(AgentTaskKeys.WORKER_ID_LABEL);
  }
}
