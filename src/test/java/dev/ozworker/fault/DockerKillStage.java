package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.oz.fake.OzAssignments;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Docker backend under kill: tasks run {@link FaultImage}'s stand-in agent, which counts its
 * starts in the bind-mounted records directory and can be held on a gate file there; leftovers are
 * the containers that still carry this worker's label.
 */
final class DockerKillStage implements KillStage {
  static final Duration WAIT = Duration.ofSeconds(60);

  private final Path records;
  private final FaultImage image;
  private final String workerId;
  private final ApiProbe api;

  /**
   * @param api what the AgentTask's status shows: Docker's preparation and container removal leave
   *     no file to wait on
   */
  DockerKillStage(Path root, FaultImage image, String workerId, ApiProbe api) throws IOException {
    this.records = Files.createDirectories(root.resolve("records"));
    this.image = image;
    this.workerId = workerId;
    this.api = api;
  }

  @Override
  public String backendYaml() {
    return """
    backend:
      docker:
        volumes: ["%s:/records"]
        image_pull_policy: Never
        network_mode: none
    """
        .formatted(records);
  }

  @Override
  public Map<String, String> workerEnv() {
    return Map.of("DOCKER_HOST", image.dockerHost());
  }

  @Override
  public ObjectNode assignment(String taskId, KillPoint point) {
    Map<String, String> env = new HashMap<>();
    if (point == KillPoint.RUNNING || point == KillPoint.EXITED_UNREPORTED) {
      env.put("GATE", "release-" + taskId);
    }
    ObjectNode data = OzAssignments.assignment(taskId, env);
    data.put("docker_image", image.reference());
    return data;
  }

  @Override
  public void awaitPoint(String taskId, KillPoint point) {
    Path started = records.resolve(taskId).resolve("starts");
    switch (point) {
      case PREPARING, TEARDOWN ->
          await()
              .atMost(WAIT)
              .pollInterval(Duration.ofMillis(5))
              .until(() -> api.reached(taskId, point));
      case RUNNING, EXITED_UNREPORTED ->
          await()
              .atMost(WAIT)
              .pollInterval(Duration.ofMillis(10))
              .until(() -> Files.exists(started));
      case STORED -> throw new IllegalArgumentException("seen on the API server");
    }
  }

  /** Lets a held agent exit. */
  void finishAgent(String taskId) throws IOException {
    Path gate = records.resolve("release-" + taskId);
    if (!Files.exists(gate)) {
      Files.createFile(gate);
    }
  }

  @Override
  public void release(String taskId) throws IOException {
    finishAgent(taskId);
  }

  @Override
  public List<String> leftovers() throws IOException, InterruptedException {
    return FaultImage.Docker.run(
            image.dockerHost(),
            "ps",
            "--all",
            "--quiet",
            "--filter",
            "label=" + AgentTaskKeys.WORKER_ID_LABEL + "=" + workerId)
        .stream()
        .filter(line -> !line.isBlank())
        .map(id -> "container " + id)
        .toList();
  }
}
