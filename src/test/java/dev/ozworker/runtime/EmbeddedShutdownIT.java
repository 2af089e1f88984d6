package dev.ozworker.runtime;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.backend.docker.DockerBackend;
import dev.ozworker.backend.docker.TestDocker;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.embedded.EmbeddedApiServer;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single-machine worker (embedded API server) shuts down while its container runs: as nothing can
 * adopt the task once the process and its in-memory state are gone, the drain stops and removes the
 * container and reports the task {@code graceful_shutdown}, as the reference worker does.
 */
class EmbeddedShutdownIT {
  static final String API_KEY = "wk-embedded-shutdown-it-8a1";
  static final String WORKER = "embedded-shutdown-it";
  static final Duration WAIT = Duration.ofSeconds(60);

  /** The agent: a minute of work, far longer than the drain gives it. */
  static final String AGENT_DOES = "echo agent: working; sleep 60; exit 4";

  @TempDir Path root;
  FakeOzServer oz;
  EmbeddedApiServer api;
  TestDocker engine;
  DockerClient docker;
  String sidecar;
  WorkerRuntime runtime;
  DockerBackend backend;
  String container;

  @BeforeEach
  void start() throws Exception {
    engine = TestDocker.connect();
    docker = engine.client();
    sidecar = engine.agentSidecarImage();
    oz = FakeOzServer.start(API_KEY);
    api = EmbeddedApiServer.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (backend != null) {
      backend.close();
    }
    if (container != null && !containerGone(container)) {
      // left by a drain that handed it over: removed by the id the task recorded
      docker.removeContainerCmd(container).withForce(true).exec();
    }
    api.close();
    oz.close();
    engine.removeSidecarVolumes(sidecar);
    engine.removeImage(sidecar);
    engine.close();
  }

  @Test
  void aRunningContainerIsStoppedRemovedAndReportedGracefulShutdown() throws Exception {
    WorkerConfig config =
        WorkerConfigs.resolve(
            """
            worker_id: %s
            task_log_dir: %s
            cancel_grace_period: 2s
            backend:
              docker:
                image_pull_policy: Never
                network_mode: none
            """
                .formatted(WORKER, root.resolve("logs")),
            Map.of("WARP_API_KEY", API_KEY),
            "--web-socket-url",
            oz.webSocketUrl().toString());
    backend = DockerBackend.connect(config, Clock.systemUTC());
    runtime =
        WorkerRuntime.start(
            api.client(), config, List.of(backend), Clock.systemUTC(), false, LinkTimings.DEFAULT);
    await().atMost(WAIT).until(() -> oz.isConnected(WORKER));
    ObjectNode assignment = assignment("task-single-machine", Map.of("AGENT_DOES", AGENT_DOES));
    assignment.put("docker_image", engine.busyboxImage()).put("sidecar_image", sidecar);
    oz.assign(WORKER, assignment);
    AgentTask running = await().atMost(WAIT).until(this::task, this::running);
    container = running.getStatus().getBackendRef().containerId();

    Drain.Outcome outcome =
        new Drain(runtime, Clock.systemUTC(), false)
            .run(Duration.ofSeconds(15), Duration.ofSeconds(2));

    assertThat(outcome.handedOver()).isZero();
    assertThat(outcome.stoppedTasks()).isEqualTo(1);
    assertThat(outcome.tasksLeft()).isZero();
    assertThat(containerGone(container)).as("the drain removed the container").isTrue();
    assertThat(oz.framesAbout("task-single-machine", "task_failed"))
        .singleElement()
        .satisfies(frame -> assertThat(frame.data().toString()).contains("graceful_shutdown"));
  }

  private boolean running(AgentTask task) {
    return task != null
        && task.getStatus() != null
        && task.getStatus().getPhase() == AgentTaskPhase.Running
        && task.getStatus().getBackendRef() != null
        && task.getStatus().getBackendRef().containerId() != null;
  }

  private AgentTask task() {
    return api.client().resources(AgentTask.class).inAnyNamespace().list().getItems().stream()
        .filter(t -> "task-single-machine".equals(t.getSpec().getTaskId()))
        .findFirst()
        .orElse(null);
  }

  private boolean containerGone(String id) {
    try {
      docker.inspectContainerCmd(id).exec();
      return false;
    } catch (NotFoundException gone) {
      return true;
    }
  }
}
