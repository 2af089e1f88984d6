package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

/** The test API server refuses stale writes the way an API server does. */
class MockApiTest {

  @Test
  void findsObjectsByNameThroughCreatesStatusWritesPatchesAndDeletionsWithFinalizers() {
    try (MockApi api = MockApi.start()) {
      KubernetesClient client = api.client();
      var tasks = client.resources(AgentTask.class);
      client.resource(AgentTaskControllerTest.userTask("same")).inNamespace("test").create();
      client.resource(AgentTaskControllerTest.userTask("same")).inNamespace("other").create();
      client
          .secrets()
          .inNamespace("test")
          .resource(
              new io.fabric8.kubernetes.api.model.SecretBuilder()
                  .withNewMetadata()
                  .withName("same")
                  .endMetadata()
                  .build())
          .create();
      AgentTask task = tasks.inNamespace("test").withName("same").get();
      task.setStatus(new AgentTaskStatus());
      task.getStatus().setMessage("written");
      client.resource(task).updateStatus();
      tasks
          .inNamespace("test")
          .withName("same")
          .edit(
              t -> {
                t.getMetadata().getFinalizers().add("ozworker.dev/test");
                t.getMetadata().setLabels(java.util.Map.of("moved", "yes"));
                return t;
              });
      tasks.inNamespace("test").withName("same").delete();
      AgentTask deleting = tasks.inNamespace("test").withName("same").get();
      tasks
          .inNamespace("test")
          .withName("same")
          .edit(
              t -> {
                t.getMetadata().getFinalizers().clear();
                return t;
              });

      org.assertj.core.api.Assertions.assertThat(deleting.getStatus().getMessage())
          .isEqualTo("written");
      org.assertj.core.api.Assertions.assertThat(deleting.getMetadata().getDeletionTimestamp())
          .isNotNull();
      org.assertj.core.api.Assertions.assertThat(tasks.inNamespace("test").withName("same").get())
          .isNull();
      org.assertj.core.api.Assertions.assertThat(tasks.inNamespace("other").withName("same").get())
          .isNotNull();
      org.assertj.core.api.Assertions.assertThat(
              client.secrets().inNamespace("test").withName("same").get())
          .isNotNull();
      org.assertj.core.api.Assertions.assertThat(api.nameIndexAgreedWithScans())
          .as("every change was followed by the index, and each lookup agreed with a scan")
          .isTrue();
    }
  }

  @Test
  void refusesAStatusWriteCarryingAStaleResourceVersion() {
    try (MockApi api = MockApi.start()) {
      KubernetesClient client = api.client();
      client.resource(AgentTaskControllerTest.userTask("p")).inNamespace("test").create();
      AgentTask first = client.resources(AgentTask.class).inNamespace("test").withName("p").get();
      AgentTask second = client.resources(AgentTask.class).inNamespace("test").withName("p").get();
      first.setStatus(new AgentTaskStatus());
      client.resource(first).updateStatus();
      second.setStatus(new AgentTaskStatus());

      assertThatThrownBy(() -> client.resource(second).updateStatus())
          .isInstanceOfSatisfying(
              KubernetesClientException.class,
              e -> org.assertj.core.api.Assertions.assertThat(e.getCode()).isEqualTo(409));
    }
  }

  @Test
  void refusesAResourceWriteCarryingAStaleResourceVersion() {
    try (MockApi api = MockApi.start()) {
      KubernetesClient client = api.client();
      client.resource(AgentTaskControllerTest.userTask("p")).inNamespace("test").create();
      AgentTask first = client.resources(AgentTask.class).inNamespace("test").withName("p").get();
      AgentTask second = client.resources(AgentTask.class).inNamespace("test").withName("p").get();
      first.getSpec().setTitle("first");
      client.resource(first).update();
      second.getSpec().setTitle("second");

      assertThatThrownBy(() -> client.resource(second).update())
          .isInstanceOfSatisfying(
              KubernetesClientException.class,
              e -> org.assertj.core.api.Assertions.assertThat(e.getCode()).isEqualTo(409));
    }
  }
}
