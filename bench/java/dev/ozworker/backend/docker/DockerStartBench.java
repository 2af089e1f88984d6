package dev.ozworker.backend.docker;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.ozworker.Command;
import dev.ozworker.bench.BenchReport;
import dev.ozworker.bench.BenchSize;
import dev.ozworker.bench.Figure;
import dev.ozworker.bench.FrameWatch;
import dev.ozworker.bench.OurWorker;
import dev.ozworker.bench.StartSignals;
import dev.ozworker.bench.Stats;
import dev.ozworker.bench.Target;
import dev.ozworker.controller.MockApi;
import dev.ozworker.oz.fake.FakeOzServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claim → container running with the Docker backend: from the {@code task_claimed} frame arriving
 * at the fake Oz server to the container's entrypoint announcing itself on a FIFO bind-mounted from
 * the host. The floor is {@code docker run} of the same local image, command, mount and environment
 * (no network), timed from the CLI's fork to the same signal. One task at a time, each after the
 * previous one's result arrived; every container is removed by its id.
 */
class DockerStartBench {
  static final int WARM_UP = BenchSize.of(3, 1);
  static final int RUNS = BenchSize.of(30, 3);
  static final String SIGNAL_DIR = "/signal";

  // Pid 0: the line's pid is the container's, which means nothing on the host.
  private static final String ENTRYPOINT =
      """
      #!/bin/sh
      printf '%s 0\\n' "$BENCH_TASK" >"$BENCH_STARTED"
      exit 0
      """;

  @TempDir Path dir;

  @Test
  void claimToContainerRunning() throws Exception {
    String workerId = "bench-docker-" + UUID.randomUUID().toString().substring(0, 8);
    try (TestDocker engine = TestDocker.connect();
        StartSignals signals = StartSignals.open(dir);
        FakeOzServer server = FakeOzServer.start(OurWorker.API_KEY);
        MockApi api = MockApi.startUnchecked()) {
      String image = engine.busyboxWithEntrypoint(ENTRYPOINT);
      try {
        FrameWatch frames = FrameWatch.on(server);
        long[] floor = dockerRun(image, signals);
        long[] ours;
        String yaml = backendYaml(image);
        try (OurWorker worker =
            OurWorker.start(
                api.client(),
                false,
                server,
                workerId,
                yaml,
                DockerBackend.connect(
                    OurWorker.config(server.webSocketUrl(), workerId, yaml), Clock.systemUTC()))) {
          ours = viaWorker(server, frames, signals, workerId);
        } finally {
          removeContainersOf(engine, workerId);
        }
        new BenchReport("docker-start")
            .figure(
                Figure.of("docker_claim_to_running", "ms", Stats.millis(ours))
                    .withFloor(Stats.millis(floor), "docker run of the same local image")
                    .withTarget(Target.floorTimes(1.0)))
            .fact("runs", RUNS)
            .write();
      } finally {
        engine.removeImage(image);
      }
    }
  }

  private String backendYaml(String image) {
    return """
    task_log_dir: %s
    backend:
      docker:
        default_image: %s
        image_pull_policy: Never
        network_mode: none
        volumes:
          - "%s:%s"
    """
        .formatted(dir.resolve("logs"), image, dir, SIGNAL_DIR);
  }

  private static Map<String, String> env(String taskId) {
    return Map.of("BENCH_STARTED", SIGNAL_DIR + "/started", "BENCH_TASK", taskId);
  }

  /**
   * {@code docker run} → the entrypoint's signal, in ns, after {@link #WARM_UP} unmeasured runs.
   */
  private long[] dockerRun(String image, StartSignals signals) throws Exception {
    long[] samples = new long[RUNS];
    for (int i = -WARM_UP; i < RUNS; i++) {
      String id = "floor-" + i;
      Path cidFile = dir.resolve(id + ".cid");
      List<String> command =
          new ArrayList<>(
              List.of(
                  "docker",
                  "run",
                  "--cidfile",
                  cidFile.toString(),
                  "--network",
                  "none",
                  "-v",
                  dir + ":" + SIGNAL_DIR,
                  "-w",
                  ContainerSpecs.WORKING_DIR));
      env(id).forEach((name, value) -> command.addAll(List.of("-e", name + "=" + value)));
      command.addAll(List.of(image, ContainerSpecs.ENTRYPOINT, "agent", "run", "--task-id", id));
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve(id + ".log").toFile());
      long before = System.nanoTime();
      Process process = builder.start();
      try {
        long started = signals.await(id).nanos();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        if (i >= 0) {
          samples[i] = started - before;
        }
      } finally {
        process.destroyForcibly();
        removeContainer(cidFile);
      }
    }
    return samples;
  }

  /** Claimed → the entrypoint's signal, in ns, one task at a time. */
  private static long[] viaWorker(
      FakeOzServer server, FrameWatch frames, StartSignals signals, String workerId)
      throws Exception {
    long[] samples = new long[RUNS];
    for (int i = -WARM_UP; i < RUNS; i++) {
      String id = workerId + "-" + i;
      server.assign(workerId, assignment(id, env(id)));
      long claimed = FrameWatch.await(frames.claimed(id)).receivedNanos();
      long started = signals.await(id).nanos();
      FrameWatch.await(frames.result(id));
      if (i >= 0) {
        samples[i] = started - claimed;
      }
    }
    return samples;
  }

  private static void removeContainer(Path cidFile) throws Exception {
    if (!Files.exists(cidFile)) {
      return;
    }
    String id = Files.readString(cidFile).strip();
    if (!id.isEmpty()) {
      Command.run(Duration.ofSeconds(60), "docker", "rm", "-f", id);
    }
  }

  /** The worker's cleanup removes its containers; any it left (a broken run) go by their id. */
  private static void removeContainersOf(TestDocker engine, String workerId) {
    List<Container> left =
        engine
            .client
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(DockerLabels.WORKER_ID, workerId))
            .exec();
    for (Container container : left) {
      try {
        engine.client.removeContainerCmd(container.getId()).withForce(true).exec();
      } catch (NotFoundException | ConflictException beingRemoved) {
        // removed meanwhile by the worker's own cleanup, or its removal is under way (409)
      }
    }
  }
}
