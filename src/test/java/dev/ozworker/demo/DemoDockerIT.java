package dev.ozworker.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.backend.docker.DockerEngine;
import dev.ozworker.observe.Redactor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code demo --backend docker}, run in this process: the same tasks end the same way, each in a
 * container of the demo's images on the machine's real engine; the demo leaves no container behind
 * and its secret shows nowhere but masked in the task logs.
 */
class DemoDockerIT {
  static final String SIDECAR_FILL = "ozworker.dev/sidecar-fill";

  @TempDir Path home;

  DockerEngine engine;
  DockerClient docker;

  @BeforeEach
  void connect() {
    engine = DockerEngine.fromEnvironment();
    docker = engine.client();
  }

  @AfterEach
  void close() {
    engine.close();
  }

  @Test
  void theDemoRunsEveryTaskInAContainerAndLeavesNoneBehind() throws Exception {
    Set<String> before = demoContainers();
    DemoRun demo = DemoRun.of(home, "--backend", "docker", "--log-level", "info");

    String shown = demo.out();
    assertThat(demo.status()).as(shown + demo.err()).isZero();
    assertThat(shown)
        .contains("run by the docker backend in containers of " + DemoImages.TASK_IMAGE)
        .containsPattern("→ task_assignment +demo-ok-")
        .containsPattern("→ task_cancellation +demo-cancel-")
        .containsPattern(
            "← task_failed +demo-fail-\\S+ +failure_reason=container_exit +exit_code=3")
        .containsPattern("demo-ok-\\S+ +Succeeded +Succeeded +0 +task_completed +yes")
        .containsPattern(
            "demo-fail-\\S+ +Failed +Failed +3 +container_exit +task_failed exit 3 +yes")
        .containsPattern("demo-cancel-\\S+ +Cancelled +Cancelled +- +task_completed CANCELLED +yes")
        .containsPattern("hello +Succeeded +Succeeded +0 +\\(none: not from Oz\\) +yes")
        .contains("Every task ended as expected.");
    assertThat(shown + demo.err() + demo.logs()).doesNotContain("demo-secret-");
    assertThat(demoContainers()).as("containers of the demo's worker").isSubsetOf(before);
    assertThat(docker.inspectImageCmd(DemoImages.AGENT_IMAGE).exec().getConfig().getLabels())
        .as("the demo keeps its images for the next run")
        .containsKey("ozworker.dev/demo-content");

    assertThat(demo.taskLogs())
        .contains("demo agent: started by /agent/entrypoint.sh in a container")
        .contains("demo agent: signing in with token " + Redactor.MASK)
        .contains("demo agent: stopping on SIGTERM")
        .doesNotContain("demo-secret-");
  }

  /**
   * Every container of the demo's worker, and every container filling one of the demo's sidecar
   * volumes (other tests' fill containers may come and go meanwhile), as {@code id name image}.
   */
  private Set<String> demoContainers() {
    List<Container> worker =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(AgentTaskKeys.WORKER_ID_LABEL, Demo.WORKER_ID))
            .exec();
    List<Container> fills =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(List.of(SIDECAR_FILL))
            .exec()
            .stream()
            .filter(c -> c.getLabels().getOrDefault(SIDECAR_FILL, "").startsWith("oz-demo-agent-"))
            .toList();
    return Stream.concat(worker.stream(), fills.stream())
        .map(c -> c.getId() + " " + String.join(",", c.getNames()) + " " + c.getImage())
        .collect(Collectors.toSet());
  }
}
