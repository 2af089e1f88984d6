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
