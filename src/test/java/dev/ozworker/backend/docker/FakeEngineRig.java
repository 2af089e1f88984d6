package dev.ozworker.backend.docker;

import static org.awaitility.Awaitility.await;

import dev.ozworker.MutableClock;
import dev.ozworker.api.BackendRef;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.task.ResourceLimits;
import dev.ozworker.task.Sidecar;
import dev.ozworker.task.TaskEnv;
import dev.ozworker.task.TaskObject;
import dev.ozworker.task.TaskSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Docker backend on a {@link FakeDockerEngine}, configured from a worker config file as the
 * worker's is, with its task logs in a directory of the test's. The backend's own threads follow
 * the containers, so tests wait for its news with a deadline.
 */
final class FakeEngineRig implements AutoCloseable {
  static final Duration DEADLINE = Duration.ofSeconds(10);
  static final String WORKER = "worker-fake";

  final FakeDockerEngine engine = new FakeDockerEngine();
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-05T10:00:00Z"));
  final DockerBackend backend;

  /**
   * @param dockerBlock the lines of the config file's {@code backend.docker} block, unindented
   */
  FakeEngineRig(Path dir, String dockerBlock, boolean cleanup) {
    String yaml =
        "worker_id: "
            + WORKER
            + "\ncleanup: "
            + cleanup
            + "\ntask_log_dir: "
            + dir.resolve("logs")
            + "\nbackend:\n  docker:\n    network_mode: none\n"
            + dockerBlock.indent(4);
    WorkerConfig config;
    try {
      config = WorkerConfigs.resolve(yaml, Map.of("WARP_API_KEY", "wk_unused"));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    backend =
        new DockerBackend(
            config,
            new DockerEngine(engine.client(), FakeDockerEngine.PLATFORM, dir.resolve("docker")),
            clock);
  }

  FakeEngineRig(Path dir) {
    this(dir, "", true);
  }

  /** A task on {@code image} with these sidecars, run as {@code agent run}. */
  static TaskSpec spec(String runId, String image, List<Sidecar> sidecars) {
    return new TaskSpec(
        runId,
        Optional.of("oz-" + runId),
        Optional.of("exec-1"),
        BackendKind.DOCKER,
        image,
        new TaskEnv(List.of(new TaskEnv.Entry("TASK_ID", runId, false))),
        List.of("agent", "run"),
        sidecars,
        ResourceLimits.NONE,
        Duration.ZERO,
        "",
        TaskObject.named(runId));
  }

  static TaskSpec spec(String runId, String image) {
    return spec(runId, image, List.of());
  }

  /** Starts the task and waits until its container runs. */
  RecordingListener running(TaskSpec spec) throws Exception {
    RecordingListener listener = new RecordingListener();
    backend.start(spec, listener);
    await().atMost(DEADLINE).until(() -> listener.running.get() > 0);
    return listener;
  }

  static TaskOutcome outcome(RecordingListener listener) {
    await().atMost(DEADLINE).until(() -> !listener.outcomes.isEmpty());
    return listener.outcome();
  }

  /** The name the backend gives the container of {@link #spec}'s run. */
  static String name(String runId) {
    return ContainerSpecs.containerName(spec(runId, "any"));
  }

  /** The container of a run, by the name the backend gives it. */
  FakeDockerEngine.Container container(String runId) {
    return engine.container(ContainerSpecs.containerName(spec(runId, "any"))).orElseThrow();
  }

  /** The commands the engine received, by name only, in order. */
  List<String> commands() {
    return engine.calls().stream().map(call -> call.split(" ")[0]).toList();
  }

  static BackendRef ref(String runId, String containerId) {
    return new BackendRef("docker", runId, containerId, null, null, null);
  }

  @Override
  public void close() {
    backend.close();
  }
}
