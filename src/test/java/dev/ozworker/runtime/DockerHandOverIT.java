package dev.ozworker.runtime;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.backend.docker.DockerBackend;
import dev.ozworker.backend.docker.TestDocker;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import io.fabric8.kubernetes.api.model.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Docker-backend replica in a pod shuts down while its container runs: the container is left
 * going, and the replica that replaces it on the same node adopts the task, reattaches and reports
 * the result once — what a Deployment does when a worker pod is deleted or rolled.
 */
class DockerHandOverIT {
  static final String API_KEY = "wk-hand-over-it-5d2";
  static final String NODE = "node-1";
  static final Duration WAIT = Duration.ofSeconds(60);

  /** The agent: about eight seconds of work, long enough to outlive the first replica. */
  static final String AGENT_DOES =
      "i=1; while [ $i -le 32 ]; do echo \"agent: step $i of 32\"; sleep 0.25; i=$((i+1));"
          + " done; exit 4";

  @TempDir Path root;
  FakeOzServer oz;
  MockApi api;
  TestDocker engine;
  DockerClient docker;
  String image;
  String sidecar;
  final List<AutoCloseable> started = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    engine = TestDocker.connect();
    docker = engine.client();
    image = engine.busyboxImage();
    sidecar = engine.agentSidecarImage();
    oz = FakeOzServer.start(API_KEY);
    api = MockApi.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : started.reversed()) {
      closeable.close();
    }
    api.close();
    oz.close();
    engine.removeSidecarVolumes(sidecar);
    engine.removeImage(sidecar);
    engine.close();
  }

  @Test
  void aRunningContainerIsHandedOverAtShutdownAndItsResultReportedOnceByTheReplacement()
      throws Exception {
    Worker first = worker("pool-7c9f-a");
    ObjectNode assignment = assignment("task-handed-over", Map.of("AGENT_DOES", AGENT_DOES));
    assignment.put("docker_image", image).put("sidecar_image", sidecar);
    oz.assign(first.id(), assignment);
    AgentTask running = await().atMost(WAIT).until(() -> task(), this::running);
    String container = running.getStatus().getBackendRef().containerId();
    assertThat(running.getMetadata().getAnnotations())
        .containsEntry(AgentTaskKeys.POD_ANNOTATION, first.id());

    Drain.Outcome outcome =
        new Drain(first.runtime(), Clock.systemUTC())
            .run(Duration.ofSeconds(10), Duration.ofSeconds(2));
    first.closeBackend();

    assertThat(outcome.handedOver()).isEqualTo(1);
    assertThat(outcome.stoppedTasks()).isZero();
    assertThat(docker.inspectContainerCmd(container).exec().getState().getRunning())
        .as("the container outlives the replica that started it")
        .isTrue();
    assertThat(oz.framesAbout("task-handed-over", "task_failed")).isEmpty();
    assertThat(task().getStatus().getPhase()).isEqualTo(AgentTaskPhase.Running);

    Worker second = worker("pool-7c9f-b");
    await()
        .atMost(WAIT)
        .until(
            () ->
                second
                    .id()
                    .equals(task().getMetadata().getLabels().get(AgentTaskKeys.WORKER_ID_LABEL)));
    await()
        .atMost(WAIT)
        .until(
            () -> {
              AgentTask task = task();
              return Boolean.TRUE.equals(task.getStatus().getReported())
                  && task.getStatus().getConditions().stream()
                      .anyMatch(c -> c.getType().equals("TornDown"));
            });

    AgentTask done = task();
    assertThat(done.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(done.getStatus().getExitCode()).isEqualTo(4);
    assertThat(done.getStatus().getWorkerId()).isEqualTo(second.id());
    assertThat(done.getStatus().getLogTail()).contains("agent: step 32 of 32");
    assertThat(oz.framesAbout("task-handed-over", "task_failed"))
        .singleElement()
        .satisfies(frame -> assertThat(frame.data().path("exit_code").asInt()).isEqualTo(4));
    assertThat(oz.framesAbout("task-handed-over", "task_completed")).isEmpty();
    assertThat(events()).anySatisfy(event -> assertThat(event.getReason()).isEqualTo("Adopted"));
    assertThat(containerGone(container)).as("the adopting replica removed the container").isTrue();
  }

  private boolean running(AgentTask task) {
    return task != null
        && task.getStatus() != null
        && task.getStatus().getPhase() == AgentTaskPhase.Running
        && task.getStatus().getBackendRef() != null
        && task.getStatus().getBackendRef().containerId() != null;
  }

  private AgentTask task() {
    return api
        .client()
        .resources(AgentTask.class)
        .inNamespace("oz-hand-over")
        .list()
        .getItems()
        .stream()
        .filter(t -> "task-handed-over".equals(t.getSpec().getTaskId()))
        .findFirst()
        .orElse(null);
  }

  private List<Event> events() {
    return api.client().v1().events().inNamespace("oz-hand-over").list().getItems();
  }

  private boolean containerGone(String id) {
    try {
      docker.inspectContainerCmd(id).exec();
      return false;
    } catch (NotFoundException gone) {
      return true;
    }
  }

  /** One replica as the Deployment would run it: its pod name is its worker id. */
  private Worker worker(String pod) throws Exception {
    Path dir = Files.createDirectories(root.resolve(pod));
    String yaml =
        """
        namespace: oz-hand-over
        task_log_dir: %s
        cancel_grace_period: 2s
        finished_task_ttl: 0s
        backend:
          docker:
            image_pull_policy: Never
            network_mode: none
        """
            .formatted(dir.resolve("logs"));
    WorkerConfig config =
        WorkerConfigs.resolve(
            yaml,
            Map.of("WARP_API_KEY", API_KEY, "POD_NAME", pod, "NODE_NAME", NODE),
            "--web-socket-url",
            oz.webSocketUrl().toString());
    DockerBackend backend = DockerBackend.connect(config, Clock.systemUTC());
    WorkerRuntime runtime =
        WorkerRuntime.start(
            api.client(), config, List.of(backend), Clock.systemUTC(), false, LinkTimings.DEFAULT);
    Worker worker = new Worker(pod, runtime, backend);
    started.add(worker);
    await().atMost(WAIT).until(() -> oz.isConnected(pod));
    return worker;
  }

  /** A replica; closing it twice closes it once. */
  private static final class Worker implements AutoCloseable {
    private final String id;
    private final WorkerRuntime runtime;
    private final DockerBackend backend;
    private final AtomicBoolean closed = new AtomicBoolean();

    Worker(String id, WorkerRuntime runtime, DockerBackend backend) {
      this.id = id;
      this.runtime = runtime;
      this.backend = backend;
    }

    String id() {
      return id;
    }

    WorkerRuntime runtime() {
      return runtime;
    }

    /** The drain closed the runtime already; what is left is the backend, as in {@code run}. */
    void closeBackend() {
      if (closed.compareAndSet(false, true)) {
        backend.close();
      }
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        runtime.close();
        backend.close();
      }
    }
  }
}
