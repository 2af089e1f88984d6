package dev.ozworker.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.DockerBackendConfig;
import dev.ozworker.config.ImagePullPolicy;
import dev.ozworker.config.KubernetesBackendConfig;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.task.Sidecar;
import dev.ozworker.task.TaskResolver;
import dev.ozworker.task.TaskSpec;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo worker's backend block, and the tasks it makes of the demo's assignments and of the
 * example AgentTask: which image each runs, what is mounted at {@code /agent}, and that nothing is
 * ever pulled.
 */
class DemoConfigTest {
  static final URI OZ = URI.create("ws://127.0.0.1:1/api/v1/selfhosted/worker/ws");

  @TempDir Path dir;

  @Test
  void theKubernetesDemoRunsItsPodImageInItsOwnNamespaceAndNeverPullsIt() throws Exception {
    WorkerConfig config = resolve(BackendKind.KUBERNETES);

    assertThat(config.namespace()).contains(Demo.NAMESPACE);
    assertThat(config.backend())
        .isInstanceOfSatisfying(
            KubernetesBackendConfig.class,
            kubernetes -> {
              assertThat(kubernetes.defaultImage()).contains(DemoImages.POD_IMAGE);
              assertThat(kubernetes.imagePullPolicy()).isEqualTo(ImagePullPolicy.Never);
              assertThat(kubernetes.sidecarImage()).isEmpty();
              assertThat(kubernetes.namespaceProblem(Demo.NAMESPACE)).isEmpty();
            });
  }

  @Test
  void withKubernetesTheAgentComesWithTheTaskImageSoNoSidecarIsCopiedIntoThePod() throws Exception {
    TaskResolver resolver = new TaskResolver(resolve(BackendKind.KUBERNETES));
    AgentTaskSpec assigned = new AgentTaskSpec();
    assigned.setTaskId("demo-ok-1a2b3c");
    assigned.setPrompt("Demo: succeeds");
    assigned.setImage(DemoImages.POD_IMAGE);

    TaskSpec fromOz = resolver.resolve("demo-ok-1a2b3c", assigned, Map.of());
    TaskSpec hello = resolver.resolve("hello", hello().getSpec(), Map.of());

    assertThat(fromOz.image()).isEqualTo(DemoImages.POD_IMAGE);
    assertThat(fromOz.sidecars()).isEmpty();
    assertThat(hello.image()).as("the example names no image").isEqualTo(DemoImages.POD_IMAGE);
    assertThat(hello.sidecars()).isEmpty();
  }

  @Test
  void withDockerTheAgentImageIsTheSidecarOfEveryTaskAndNothingIsPulled() throws Exception {
    WorkerConfig config = resolve(BackendKind.DOCKER);

    assertThat(config.backend())
        .isInstanceOfSatisfying(
            DockerBackendConfig.class,
            docker -> {
              assertThat(docker.defaultImage()).contains(DemoImages.TASK_IMAGE);
              assertThat(docker.sidecarImage()).contains(DemoImages.AGENT_IMAGE);
              assertThat(docker.imagePullPolicy()).isEqualTo(ImagePullPolicy.Never);
              assertThat(docker.networkMode()).contains("none");
            });
    TaskSpec hello = new TaskResolver(config).resolve("hello", hello().getSpec(), Map.of());
    assertThat(hello.sidecars())
        .containsExactly(new Sidecar(DemoImages.AGENT_IMAGE, TaskResolver.AGENT_MOUNT_PATH, false));
  }

  private WorkerConfig resolve(BackendKind kind) throws Exception {
    return DemoConfig.resolve(dir, OZ, kind, Demo.NAMESPACE, Demo.WORKER_ID, Map.of());
  }

  private static AgentTask hello() throws Exception {
    try (InputStream yaml = DemoConfigTest.class.getResourceAsStream(DemoScenario.HELLO_RESOURCE)) {
      return Serialization.unmarshal(Objects.requireNonNull(yaml), AgentTask.class);
    }
  }
}
