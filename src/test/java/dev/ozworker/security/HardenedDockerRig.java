package dev.ozworker.security;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.ozworker.api.BackendRef;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.backend.docker.DockerBackend;
import dev.ozworker.backend.docker.DockerEngine;
import dev.ozworker.backend.docker.TestDocker;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigFixtures;
import dev.ozworker.task.ResourceLimits;
import dev.ozworker.task.Sidecar;
import dev.ozworker.task.TaskEnv;
import dev.ozworker.task.TaskObject;
import dev.ozworker.task.TaskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The Docker backend on the real engine for the Docker items (shared sidecar volumes, hardening): a
 * busybox task image, agent sidecar images whose {@code entrypoint.sh} prints its arguments and
 * runs {@code $AGENT_DOES}, containers without network. Removes the containers, volumes and images
 * it made, by name.
 */
final class HardenedDockerRig implements AutoCloseable {
  static final Duration DEADLINE = Duration.ofSeconds(60);

  final TestDocker engine = TestDocker.connect();
  final DockerClient docker = engine.client();
  final String taskImage;
  private final Path logs;
  private final List<DockerBackend> backends = new ArrayList<>();
  private final List<String> runIds = new ArrayList<>();
  private final List<String> sidecarImages = new ArrayList<>();
  private final List<String> volumes = new ArrayList<>();

  HardenedDockerRig(Path logs) throws IOException {
    this.logs = logs;
    this.taskImage = engine.busyboxImage();
  }

  /** A fresh agent sidecar image, removed with its volumes on close. */
  String agentSidecarImage() throws IOException {
    String image = engine.agentSidecarImage();
    sidecarImages.add(image);
    return image;
  }

  /** A backend whose {@code backend.docker} block has {@code keys} besides the rig's own. */
  DockerBackend backend(Map<String, Object> keys) {
    Map<String, Object> docker = new LinkedHashMap<>(keys);
    docker.put("image_pull_policy", "Never");
    docker.put("network_mode", "none");
    Map<String, Object> file = new LinkedHashMap<>();
    file.put("worker_id", "worker-security-it");
    file.put("task_log_dir", logs.toString());
    file.put("backend", Map.of("docker", docker));
    DockerBackend backend =
        new DockerBackend(
            ConfigFixtures.worker(file, Map.of("--server-root-url", "http://127.0.0.1:1")),
            DockerEngine.fromEnvironment(),
            Clock.systemUTC());
    backends.add(backend);
    return backend;
  }

  /** A task whose agent runs {@code shell}, with these sidecars. */
  TaskSpec task(String shell, List<Sidecar> sidecars) {
    String runId = "sec-" + UUID.randomUUID().toString().substring(0, 12);
    runIds.add(runId);
    return new TaskSpec(
        runId,
        Optional.of("oz-" + runId),
        Optional.empty(),
        BackendKind.DOCKER,
        taskImage,
        new TaskEnv(List.of(new TaskEnv.Entry("AGENT_DOES", shell, false))),
        List.of("agent", "run"),
        sidecars,
        ResourceLimits.NONE,
        Duration.ZERO,
        "",
        TaskObject.named(runId));
  }

  /** Starts the task; the run's news arrive on the returned listener. */
  Run start(DockerBackend backend, TaskSpec spec) throws Exception {
    Run run = new Run(spec);
    run.ref = backend.start(spec, run);
    return run;
  }

  /** Runs the task to its end and removes its container, as the worker does. */
  Run runToEnd(DockerBackend backend, TaskSpec spec) throws Exception {
    Run run = start(backend, spec);
    run.outcome.get(DEADLINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    backend.cleanup(run.ref).toCompletableFuture().get();
    return run;
  }

  /** The run's task log, secrets masked. */
  String log(TaskSpec spec) throws IOException {
    return Files.readString(TaskLog.file(logs, spec.runId()));
  }

  /** The run's container, as {@code docker inspect} shows it. */
  InspectContainerResponse inspect(TaskSpec spec) {
    List<Container> found = containers(spec.runId());
    if (found.size() != 1) {
      throw new IllegalStateException(found.size() + " containers of run " + spec.runId());
    }
    return docker.inspectContainerCmd(found.getFirst().getId()).exec();
  }

  /** A volume to remove on close. */
  void removesLater(String volume) {
    volumes.add(volume);
  }

  @Override
  public void close() {
    backends.forEach(DockerBackend::close);
    for (String runId : runIds) {
      containers(runId).forEach(c -> docker.removeContainerCmd(c.getId()).withForce(true).exec());
    }
    for (String runId : runIds) {
      var copies =
          docker
              .listVolumesCmd()
              .withFilter("label", List.of("ozworker.dev/sidecar-run=" + runId))
              .exec()
              .getVolumes();
      (copies == null ? List.<InspectVolumeResponse>of() : copies)
          .forEach(copy -> volumes.add(copy.getName()));
    }
    for (String volume : volumes) {
      try {
        docker.removeVolumeCmd(volume).exec();
      } catch (NotFoundException gone) {
        // replaced and collected by the backend
      }
    }
    sidecarImages.forEach(engine::removeSidecarVolumes);
    sidecarImages.forEach(engine::removeImage);
    engine.close();
  }

  private List<Container> containers(String runId) {
    return docker
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(Map.of("ozworker.dev/run-id", runId))
        .exec();
  }

  /** One task's news from the backend. */
  static final class Run implements TaskListener {
    final TaskSpec spec;
    final CompletableFuture<Void> running = new CompletableFuture<>();
    final CompletableFuture<TaskOutcome> outcome = new CompletableFuture<>();
    volatile BackendRef ref;

    Run(TaskSpec spec) {
      this.spec = spec;
    }

    @Override
    public void running() {
      running.complete(null);
    }

    @Override
    public void finished(TaskOutcome finished) {
      outcome.complete(finished);
    }

    void awaitRunning() {
      await().atMost(DEADLINE).until(running::isDone);
    }
  }
}
