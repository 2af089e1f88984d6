package dev.ozworker.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The model round-trips through an API server as users and the worker will write it. */
@EnableKubernetesMockClient(crud = true)
class AgentTaskResourceTest {
  KubernetesClient client;

  @BeforeEach
  void installCrd() throws IOException {
    client.apiextensions().v1().customResourceDefinitions().resource(ApiFixtures.crd()).create();
  }

  @Test
  void helloExampleIsAUserAuthoredTaskWithATitleAndPrompt() throws IOException {
    AgentTask hello = ApiFixtures.hello();

    client.resources(AgentTask.class).inNamespace("default").resource(hello).create();

    AgentTask stored =
        client.resources(AgentTask.class).inNamespace("default").withName("hello").get();
    assertThat(stored.getSpec().getTitle()).isEqualTo("Say hello");
    assertThat(stored.getSpec().getPrompt()).isNotBlank();
    assertThat(stored.getSpec().getTaskId()).as("user-authored: no Oz task id").isNull();
    assertThat(stored.getSpec().getEnvFrom()).isNull();
  }

  @Test
  void statusCarriesPhaseAndFailureReasonAsOzSpellsThem() {
    AgentTask task = new AgentTask();
    task.getMetadata().setName("t-1");
    task.setSpec(new AgentTaskSpec());
    task.getSpec().setTaskId("t-1");
    task.getSpec().setAdditionalSidecars(List.of(new SidecarMount("tools:1", "/mnt/tools", true)));
    task.getSpec().setInstanceShape(new InstanceShape(2, 4));
    task.getSpec().setEnvFrom(new EnvSource("t-1-env"));
    var created = client.resources(AgentTask.class).inNamespace("default").resource(task).create();

    AgentTaskStatus status = new AgentTaskStatus();
    status.setPhase(AgentTaskPhase.Failed);
    status.setFailureReason(FailureReason.IMAGE_PULL);
    status.setExitCode(137);
    created.setStatus(status);
    client.resources(AgentTask.class).inNamespace("default").resource(created).updateStatus();

    AgentTask stored =
        client.resources(AgentTask.class).inNamespace("default").withName("t-1").get();
    assertThat(stored.getStatus()).isEqualTo(status);
    assertThat(stored.getSpec().getAdditionalSidecars())
        .containsExactly(new SidecarMount("tools:1", "/mnt/tools", true));
    assertThat(stored.getSpec().getInstanceShape()).isEqualTo(new InstanceShape(2, 4));
    assertThat(Serialization.asJson(stored.getStatus()))
        .contains("\"phase\":\"Failed\"", "\"failureReason\":\"image_pull\"");
  }
}
