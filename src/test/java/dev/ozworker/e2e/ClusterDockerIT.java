package dev.ozworker.e2e;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import io.fabric8.kubernetes.api.model.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker overlay on a real cluster: the worker pod mounts the node's Docker socket and runs
 * each task as a sibling container on the node's engine (the stand-in agent image at {@code
 * /agent/entrypoint.sh}, {@code --network none}); when its pod is deleted mid-task, the replacement
 * the Deployment starts on the same node reattaches to the running container and reports once.
 */
@ExtendWith(ClusterImages.Extension.class)
class ClusterDockerIT {
  static final Duration WAIT = Duration.ofSeconds(120);

  /** The file whose creation ends a held task's stand-in agent, inside its container. */
  static final String RELEASE = "/tmp/e2e-release";

  @TempDir static Path dir;
  static ClusterImages images;
  static ClusterPool pool;

  /** Every task container seen, removed afterwards if the worker left it behind. */
  static final Set<String> containers = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void installThePool(ClusterImages built) throws Exception {
    images = built;
    pool = ClusterPool.install(images, "test-docker", 1, dir.resolve("overlay"));
  }

  @AfterAll
  static void removeThePool() throws Exception {
    try {
      if (pool != null) {
        pool.close();
      }
    } finally {
      for (String container : containers) {
        if (Command.run(WAIT, "docker", "container", "inspect", container).status() == 0) {
          Command.run(WAIT, "docker", "rm", "--force", container).ok();
        }
      }
    }
  }

  @Test
  void aTaskRunsAsASiblingContainerWithoutNetworkAndIsReportedOnce() throws Exception {
    String worker = pool.pods().getFirst();
    assertThat(pool.pod(worker).orElseThrow().getSpec().getVolumes())
        .extracting(Volume::getHostPath)
        .anyMatch(host -> host != null && host.getPath().equals("/var/run/docker.sock"));
    String taskId = UUID.randomUUID().toString();
    pool.oz.assign(worker, task(taskId, "5"));

    String container = awaitContainer(taskId);
    assertThat(
            inspect(container, "{{.HostConfig.NetworkMode}} {{.Config.Image}} {{.State.Running}}"))
        .isEqualTo("none " + images.agent + " true");
    assertThat(
            inspect(
                container, "{{index .Config.Labels \"" + AgentTaskKeys.WORKER_ID_LABEL + "\"}}"))
        .isEqualTo(worker);

    await().atMost(WAIT).until(() -> !pool.results(taskId).isEmpty());
    assertThat(pool.results(taskId))
        .singleElement()
        .extracting(Frame::type)
        .isEqualTo("task_completed");
    assertThat(pool.task(taskId).getStatus().getLogTail()).contains("runs 5s, then exits 0");
    // cleanup: true removes the container once the task has ended
    await()
        .atMost(WAIT)
        .until(() -> Command.run(WAIT, "docker", "container", "inspect", container).status() != 0);
  }

  @Test
  void aReplacementPodOnTheSameNodeReattachesToTheRunningContainerAndReportsOnce()
      throws Exception {
    String worker = pool.pods().getFirst();
    String node = pool.pod(worker).orElseThrow().getSpec().getNodeName();
    String taskId = UUID.randomUUID().toString();
    // Runs until this test releases it, so that it is surely still running when the replacement
    // takes it over, however long the node takes to delete the pod.
    ObjectNode held = task(taskId, "300");
    held.withObject("env_vars").put("E2E_RELEASE", RELEASE);
    pool.oz.assign(worker, held);
    String container = awaitContainer(taskId);

    // The deleted worker's own account of its shutdown, for when the hand-off goes wrong.
    Path shutdownLog = dir.resolve(worker + ".log");
    Process following =
        new ProcessBuilder("kubectl", "logs", "-f", "-n", pool.namespace, worker, "-c", "worker")
            .redirectErrorStream(true)
            .redirectOutput(shutdownLog.toFile())
            .start();
    long deleting = System.nanoTime();
    try {
      Command.kubectl(
              "delete", "pod", worker, "-n", pool.namespace, "--wait=true", "--timeout=150s")
          .ok();
      ClusterTimings.print("kubectl delete pod of a busy Docker worker", deleting);
      following.waitFor(10, TimeUnit.SECONDS);
    } finally {
      following.destroyForcibly();
    }
    // The hand-off: the worker exits and leaves its task's container running.
    assertThat(
            inspect(
                container, "{{.State.Status}}, exit {{.State.ExitCode}} at {{.State.FinishedAt}}"))
        .as(
            () ->
                "the task's container after the delete; the deleted worker's last lines:\n"
                    + lastLines(shutdownLog, 40))
        .startsWith("running");
    String replacement = pool.awaitWorkers(1).getFirst();
    assertThat(pool.pod(replacement).orElseThrow().getSpec().getNodeName()).isEqualTo(node);
    await()
        .atMost(WAIT)
        .until(
            () -> {
              AgentTask task = pool.task(taskId);
              return task.getStatus() != null
                  && replacement.equals(task.getStatus().getWorkerId())
                  && task.getStatus().getPhase() == AgentTaskPhase.Running;
            });
    ClusterTimings.print("kubectl delete pod of a Docker worker to its task adopted", deleting);
    assertThat(inspect(container, "{{.State.Status}}")).isEqualTo("running");

    Command.run(WAIT, "docker", "exec", container, "/bin/sh", "-c", ": > " + RELEASE).ok();
    await().atMost(WAIT).until(() -> !pool.results(taskId).isEmpty());
    ClusterTimings.print(
        "kubectl delete pod of a Docker worker to the adopted task's result", deleting);
    assertThat(pool.results(taskId))
        .singleElement()
        .satisfies(
            result -> {
              assertThat(result.type()).isEqualTo("task_completed");
              assertThat(result.workerId()).isEqualTo(replacement);
            });
    AgentTask adopted = pool.task(taskId);
    assertThat(adopted.getMetadata().getLabels())
        .containsEntry(AgentTaskKeys.WORKER_ID_LABEL, replacement);
    assertThat(adopted.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(adopted.getStatus().getBackendRef().containerId()).isEqualTo(container);
  }

  private static ObjectNode task(String taskId, String seconds) {
    ObjectNode data = assignment(taskId, Map.of("E2E_SLEEP", seconds));
    data.put("docker_image", images.agent);
    return data;
  }

  private static String awaitContainer(String taskId) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              AgentTask task = pool.task(taskId);
              return task != null
                  && task.getStatus() != null
                  && task.getStatus().getPhase() == AgentTaskPhase.Running
                  && task.getStatus().getBackendRef() != null
                  && task.getStatus().getBackendRef().containerId() != null;
            });
    String container = pool.task(taskId).getStatus().getBackendRef().containerId();
    containers.add(container);
    return container;
  }

  private static String lastLines(Path file, int count) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    } catch (IOException e) {
      return "(" + file + " unreadable: " + e + ")";
    }
  }

  private static String inspect(String container, String format) throws Exception {
    return Command.run(WAIT, "docker", "container", "inspect", "--format", format, container)
        .ok()
        .out()
        .strip();
  }
}
