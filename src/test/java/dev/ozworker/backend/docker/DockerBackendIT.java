package dev.ozworker.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import dev.ozworker.MutableClock;
import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigFixtures;
import dev.ozworker.config.DockerBackendConfig;
import dev.ozworker.config.ImagePullPolicy;
import dev.ozworker.config.VolumeMount;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.observe.Redactor;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Docker backend on the machine's real engine: a busybox task image and an agent sidecar whose
 * {@code entrypoint.sh} prints its arguments and environment, then does what {@code AGENT_DOES}
 * says. Containers have no network.
 */
class DockerBackendIT {
  static final Duration DEADLINE = Duration.ofSeconds(60);
  static final String WORKER = "worker-it";

  static TestDocker engine;
  static DockerClient docker;
  static String image;
  static String sidecarImage;
  static final Set<String> volumes = new LinkedHashSet<>();

  @TempDir Path logs;
  @TempDir Path signals;

  final List<DockerBackend> backends = new ArrayList<>();
  final List<String> runIds = new ArrayList<>();

  @BeforeAll
  static void images() throws IOException {
    engine = TestDocker.connect();
    docker = engine.client;
    image = engine.busyboxImage();
    sidecarImage = engine.agentSidecarImage();
  }

  @AfterAll
  static void removeImagesAndVolumes() throws IOException {
    for (String volume : volumes) {
      try {
        docker.removeVolumeCmd(volume).exec();
      } catch (NotFoundException gone) {
        // collected by the test
      }
    }
    engine.removeImage(sidecarImage);
    engine.close();
  }

  @AfterEach
  void removeWhatThisTestStarted() {
    backends.forEach(DockerBackend::close);
    for (String runId : runIds) {
      for (Container container : containersOf(runId)) {
        docker.removeContainerCmd(container.getId()).withForce(true).exec();
      }
    }
  }

  @Test
  void passesArgumentsAndEnvironmentInOrderAndMasksSecretsInTheLog() throws Exception {
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    TaskEnv env =
        new TaskEnv(
            List.of(
                new TaskEnv.Entry("TASK_ID", "t-1", false),
                new TaskEnv.Entry("ZETA", "last letter first", false),
                new TaskEnv.Entry("GITHUB_ACCESS_TOKEN", "ghs_s3cr3tvalue", true),
                new TaskEnv.Entry("ALPHA", "a", false),
                new TaskEnv.Entry("AGENT_DOES", "echo token=$GITHUB_ACCESS_TOKEN", false)));
    List<String> args =
        List.of("agent", "run", "--task-id", "t-1", "two words", "--mcp", "{\"a\":1}");
    RecordingListener listener = new RecordingListener();
    TaskSpec spec = spec(newRunId(), env, args, ResourceLimits.NONE);

    BackendRef ref = backend.start(spec, listener);
    TaskOutcome outcome = awaitOutcome(listener);

    assertThat(ref.backend()).isEqualTo("docker");
    assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
    assertThat(listener.running).hasValue(1);
    String log = Files.readString(TaskLog.file(logs, spec.runId()));
    assertThat(lines(log, "arg["))
        .containsExactly(
            "arg[1]=agent",
            "arg[2]=run",
            "arg[3]=--task-id",
            "arg[4]=t-1",
            "arg[5]=two words",
            "arg[6]=--mcp",
            "arg[7]={\"a\":1}");
    assertThat(lines(log, "env:"))
        .filteredOn(line -> !line.startsWith("env:PATH=") && !line.startsWith("env:HOSTNAME="))
        .filteredOn(line -> !line.startsWith("env:HOME="))
        .containsExactly(
            "env:TASK_ID=t-1",
            "env:ZETA=last letter first",
            "env:GITHUB_ACCESS_TOKEN=" + Redactor.MASK,
            "env:ALPHA=a",
            "env:AGENT_DOES=echo token=$GITHUB_ACCESS_TOKEN",
            "env:OPERATOR_VAR=from config");
    assertThat(log).contains("cwd=/workspace", "token=" + Redactor.MASK).doesNotContain("s3cr3t");
    assertThat(outcome.logTail()).contains("token=" + Redactor.MASK).doesNotContain("s3cr3t");

    InspectContainerResponse container = inspect(spec.runId());
    assertThat(container.getName()).isEqualTo("/" + ContainerSpecs.containerName(spec));
    assertThat(container.getConfig().getLabels())
        .containsEntry("ozworker.dev/task-id", "oz-" + spec.runId())
        .containsEntry("ozworker.dev/worker-id", WORKER)
        .containsEntry("ozworker.dev/execution-id", "exec-1")
        .containsEntry("ozworker.dev/run-id", spec.runId());
    assertThat(container.getConfig().getWorkingDir()).isEqualTo("/workspace");
    assertThat(container.getHostConfig().getNetworkMode()).isEqualTo("none");
    assertThat(listener.located)
        .as("the container's id, reported once it was created")
        .isEqualTo(new BackendRef("docker", spec.runId(), container.getId(), null, null, null));

    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(containersOf(spec.runId())).as("removed by cleanup").isEmpty();
  }

  @Test
  void copiesASidecarImageIntoOneVolumeAndReusesItThenCollectsItWhenOld() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, clock);
    String digest = docker.inspectImageCmd(sidecarImage).exec().getId();
    String volume = SidecarVolumes.volumeName(sidecarImage, digest);
    volumes.add(volume);

    List<String> created = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      TaskSpec spec =
          spec(newRunId(), agentDoes("cat /agent/nonce; echo; touch /agent/x 2>&1 || true"));
      RecordingListener listener = new RecordingListener();
      BackendRef ref = backend.start(spec, listener);
      assertThat(awaitOutcome(listener)).isInstanceOf(TaskOutcome.Succeeded.class);
      assertThat(listener.outcome().logTail()).contains("Read-only file system");
      InspectContainerResponse container = inspect(spec.runId());
      assertThat(container.getHostConfig().getBinds())
          .extracting(Object::toString)
          .containsExactly(volume + ":/agent:ro");
      created.add(docker.inspectVolumeCmd(volume).exec().getLabels().get("ozworker.dev/created"));
      assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    }

    assertThat(created)
        .as("filled once: the second task found it")
        .containsExactly("2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z");
    assertThat(docker.inspectVolumeCmd(volume).exec().getLabels())
        .containsEntry("ozworker.dev/sidecar-image", sidecarImage);
    assertThat(
            docker
                .listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of("ozworker.dev/sidecar-fill", volume))
                .exec())
        .as("the copy's containers are gone")
        .isEmpty();

    backend.collectSidecarVolumes();
    assertThat(volumeExists(volume)).as("young: kept").isTrue();
    clock.advance(DockerBackendConfig.defaults().sidecarVolumeMaxAge().plusHours(1));
    backend.collectSidecarVolumes();
    assertThat(volumeExists(volume)).as("old and unused: removed").isFalse();
  }

  @Test
  void appliesTheMemoryLimitAndReportsAnAllocationPastItAsOom() throws Exception {
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    long limit = 32L * 1024 * 1024;
    TaskSpec spec =
        spec(
            newRunId(),
            agentDoes("echo allocating; exec /bin/busybox tail /dev/zero"),
            List.of("agent", "run"),
            new ResourceLimits(OptionalLong.of(500_000_000L), OptionalLong.of(limit)));
    RecordingListener listener = new RecordingListener();

    backend.start(spec, listener);
    TaskOutcome outcome = awaitOutcome(listener);

    InspectContainerResponse container = inspect(spec.runId());
    assertThat(container.getHostConfig().getMemory()).isEqualTo(limit);
    assertThat(container.getHostConfig().getMemorySwap()).isEqualTo(limit);
    assertThat(container.getHostConfig().getNanoCPUs()).isEqualTo(500_000_000L);
    assertThat(outcome).isInstanceOf(TaskOutcome.Failed.class);
    TaskFailure failure = ((TaskOutcome.Failed) outcome).failure();
    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_OOM);
    assertThat(failure.exitCode()).contains(137);
    assertThat(failure.getMessage()).startsWith("container exited with non-zero status: 137");
    assertThat(outcome.logTail()).contains("allocating");
  }

  @Test
  void reportsANonZeroExitWithItsCode() throws Exception {
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    TaskSpec spec = spec(newRunId(), agentDoes("echo giving up >&2; exit 3"));
    RecordingListener listener = new RecordingListener();

    backend.start(spec, listener);
    TaskOutcome outcome = awaitOutcome(listener);

    assertThat(outcome).isInstanceOf(TaskOutcome.Failed.class);
    TaskFailure failure = ((TaskOutcome.Failed) outcome).failure();
    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_EXIT);
    assertThat(failure.exitCode()).contains(3);
    assertThat(failure.getMessage()).isEqualTo("container exited with non-zero status: 3");
    assertThat(outcome.logTail()).contains("giving up");
  }

  @Test
  void aContainerThatPrintsAndExitsAtOnceKeepsItsLineInTheLogAndTheTailOnEveryRun()
      throws Exception {
    String quick = engine.busyboxWithEntrypoint("#!/bin/sh\necho \"$QUICK_LINE\"\n");
    try {
      DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
      int runs = 100;
      int together = 4;
      List<String> lost = new ArrayList<>();

      for (int wave = 0; wave < runs / together; wave++) {
        Map<String, RecordingListener> started = new LinkedHashMap<>();
        for (int i = 0; i < together; i++) {
          String runId = newRunId();
          RecordingListener listener = new RecordingListener();
          TaskEnv env =
              new TaskEnv(List.of(new TaskEnv.Entry("QUICK_LINE", runId + " says goodbye", false)));
          backend.start(spec(runId, env, quick, List.of()), listener);
          started.put(runId, listener);
        }
        for (var run : started.entrySet()) {
          String line = run.getKey() + " says goodbye\n";
          TaskOutcome outcome = awaitOutcome(run.getValue());
          assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
          String logged = Files.readString(TaskLog.file(logs, run.getKey()));
          if (!outcome.logTail().equals(line) || !logged.equals(line)) {
            lost.add(run.getKey() + " (tail " + outcome.logTail().length() + " chars)");
          }
        }
      }

      assertThat(lost).as("runs whose output was lost, of %d", runs).isEmpty();
    } finally {
      // the image goes once no container uses it
      for (String runId : runIds) {
        containersOf(runId)
            .forEach(found -> docker.removeContainerCmd(found.getId()).withForce(true).exec());
      }
      runIds.clear();
      engine.removeImage(quick);
    }
  }

  @Test
  void outputFollowedAgainAfterTheEngineCutTheStreamIsKeptWholeThoughTheContainerExitsAtOnce()
      throws Exception {
    try (EngineDoor door = EngineDoor.open(signals.resolve("engine.sock"))) {
      DockerBackend backend =
          backend(
              true,
              List.of(VolumeMount.parse(signals + ":/signal:ro")),
              ImagePullPolicy.Never,
              Clock.systemUTC(),
              DockerEngine.at(door.dockerHost()));
      int lines = 20_000;
      TaskSpec spec =
          spec(
              newRunId(),
              agentDoes(
                  "echo before the cut; while [ ! -e /signal/go ]; do sleep 0.1; done; i=1; while"
                      + " [ $i -le "
                      + lines
                      + " ]; do echo \"line $i\"; i=$((i+1)); done; echo last line"));
      RecordingListener listener = new RecordingListener();
      backend.start(spec, listener);
      await().atMost(DEADLINE).until(() -> listener.running.get() == 1);
      Path log = TaskLog.file(logs, spec.runId());
      await().atMost(DEADLINE).until(() -> Files.readString(log).contains("before the cut"));

      // As an engine that restarts: the output stream is cut, and requests turned away a while.
      door.shut();
      await().atMost(DEADLINE).until(() -> door.turnedAway() > 0);
      door.reopen();
      Files.createFile(signals.resolve("go"));
      TaskOutcome outcome = awaitOutcome(listener);

      assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
      List<String> logged = Files.readAllLines(log);
      List<String> printed = lines(String.join("\n", logged) + "\n", "line ");
      assertThat(printed.size()).as("lines kept of %d", lines).isEqualTo(lines);
      assertThat(printed)
          .isEqualTo(
              java.util.stream.IntStream.rangeClosed(1, lines).mapToObj(n -> "line " + n).toList());
      assertThat(logged).containsOnlyOnce("before the cut", "last line");
      assertThat(outcome.logTail()).endsWith("line " + lines + "\nlast line\n");
      assertThat(listener.outcomes).hasSize(1);
    }
  }

  @Test
  void cancelKillsAContainerThatIgnoresSigtermAfterTheGrace() throws Exception {
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    TaskSpec spec =
        spec(
            newRunId(),
            agentDoes("trap 'echo ignoring TERM' TERM; echo trapped; while :; do sleep 0.1; done"));
    RecordingListener listener = new RecordingListener();
    BackendRef ref = backend.start(spec, listener);
    await()
        .atMost(DEADLINE)
        .until(() -> Files.readString(TaskLog.file(logs, spec.runId())).contains("trapped"));
    Duration grace = Duration.ofSeconds(2);

    long asked = System.nanoTime();
    backend.cancel(ref, grace);
    TaskOutcome outcome = awaitOutcome(listener);
    Duration took = Duration.ofNanos(listener.finishedAtNanos - asked);

    assertThat(outcome).isInstanceOf(TaskOutcome.Cancelled.class);
    assertThat(outcome.logTail()).contains("ignoring TERM");
    assertThat(took).isGreaterThanOrEqualTo(grace.minusMillis(100));
    assertThat(took).isLessThan(grace.plusSeconds(3));
    System.out.printf("cancel with a %s grace took %d ms%n", grace, took.toMillis());
    assertThat(inspect(spec.runId()).getState().getExitCodeLong()).isEqualTo(137L);
    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(containersOf(spec.runId())).isEmpty();
  }

  @Test
  void followsEachRunningContainerWithASingleStream() throws Exception {
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    long before = streamThreads();
    List<BackendRef> refs = new java.util.ArrayList<>();
    List<RecordingListener> listeners = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      RecordingListener listener = new RecordingListener();
      refs.add(backend.start(spec(newRunId(), agentDoes("sleep 30")), listener));
      listeners.add(listener);
    }
    await().atMost(DEADLINE).until(() -> listeners.stream().allMatch(l -> l.running.get() == 1));

    // docker-java reads each stream on a thread of its own: one per container, not two
    await().atMost(DEADLINE).until(() -> streamThreads() - before == 4);

    for (BackendRef ref : refs) {
      backend.cancel(ref, Duration.ZERO);
    }
    for (RecordingListener listener : listeners) {
      assertThat(awaitOutcome(listener)).isInstanceOf(TaskOutcome.Cancelled.class);
    }
    for (BackendRef ref : refs) {
      assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    }
  }

  private static long streamThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().startsWith("docker-java-stream"))
        .count();
  }

  @Test
  void cancelRightAfterStartEndsCancelledAndLeavesNothingRunning() throws Exception {
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    TaskSpec spec = spec(newRunId(), agentDoes("sleep 30"));
    RecordingListener listener = new RecordingListener();

    BackendRef ref = backend.start(spec, listener);
    backend.cancel(ref, Duration.ofSeconds(1));

    assertThat(awaitOutcome(listener)).isInstanceOf(TaskOutcome.Cancelled.class);
    assertThat(containersOf(spec.runId()))
        .allSatisfy(container -> assertThat(container.getState()).isNotEqualTo("running"));
    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(containersOf(spec.runId())).isEmpty();
  }

  @Test
  void aRestartedWorkerReattachesToARunningContainerAndReportsOnce() throws Exception {
    List<VolumeMount> shared = List.of(VolumeMount.parse(signals + ":/signal:ro"));
    DockerBackend first = backend(true, shared, ImagePullPolicy.Never, Clock.systemUTC());
    TaskSpec spec = spec(newRunId(), agentDoes(waitForSignalThenExit4()));
    RecordingListener before = new RecordingListener();
    BackendRef ref = first.start(spec, before);
    await().atMost(DEADLINE).until(() -> before.running.get() == 1);

    first.close();
    DockerBackend second = backend(true, shared, ImagePullPolicy.Never, Clock.systemUTC());
    RecordingListener after = new RecordingListener();
    second.reattach(spec, ref, after);
    await().atMost(DEADLINE).until(() -> after.running.get() == 1);
    Files.createFile(signals.resolve("go"));
    TaskOutcome outcome = awaitOutcome(after);

    assertThat(((TaskOutcome.Failed) outcome).failure().exitCode()).contains(4);
    assertThat(outcome.logTail()).contains("finishing");
    second.close();
    assertThat(before.outcomes).as("the first process heard nothing after it closed").isEmpty();
    assertThat(after.outcomes).hasSize(1);
  }

  @Test
  void aContainerWhoseOutputCannotBeFollowedIsStillWaitedForToItsEnd() throws Exception {
    // A log driver that keeps nothing to read: following the output fails at once, so the end of
    // that stream says nothing and the watch must wait on the container instead.
    String runId = newRunId();
    TaskSpec spec = spec(runId, agentDoes("true"));
    String id =
        docker
            .createContainerCmd(image)
            .withName(ContainerSpecs.containerName(spec))
            .withCmd("sh", "-c", "while [ ! -e /signal/go ]; do sleep 0.1; done; exit 3")
            .withLabels(
                Map.of(
                    DockerLabels.RUN_ID,
                    runId,
                    DockerLabels.EXECUTION_ID,
                    spec.executionId().orElseThrow()))
            .withHostConfig(
                HostConfig.newHostConfig()
                    .withNetworkMode("none")
                    .withBinds(Bind.parse(signals + ":/signal:ro"))
                    .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE)))
            .exec()
            .getId();
    docker.startContainerCmd(id).exec();
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    RecordingListener listener = new RecordingListener();

    backend.reattach(spec, BackendRef.planned("docker", runId), listener);
    await().atMost(DEADLINE).until(() -> listener.running.get() == 1);
    assertThat(listener.outcomes)
        .as("still running: no outcome from the failed output stream")
        .isEmpty();
    Files.createFile(signals.resolve("go"));

    TaskOutcome outcome = awaitOutcome(listener);
    TaskFailure failure = ((TaskOutcome.Failed) outcome).failure();
    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_EXIT);
    assertThat(failure.exitCode()).contains(3);
    assertThat(listener.outcomes).hasSize(1);
  }

  @Test
  void aRestartedWorkerReadsTheResultOfAContainerThatExitedMeanwhile() throws Exception {
    List<VolumeMount> shared = List.of(VolumeMount.parse(signals + ":/signal:ro"));
    DockerBackend first = backend(true, shared, ImagePullPolicy.Never, Clock.systemUTC());
    TaskSpec spec = spec(newRunId(), agentDoes(waitForSignalThenExit4()));
    RecordingListener before = new RecordingListener();
    BackendRef ref = first.start(spec, before);
    await().atMost(DEADLINE).until(() -> before.running.get() == 1);
    first.close();
    Files.createFile(signals.resolve("go"));
    await().atMost(DEADLINE).until(() -> !inspect(spec.runId()).getState().getRunning());

    DockerBackend second = backend(true, shared, ImagePullPolicy.Never, Clock.systemUTC());
    RecordingListener after = new RecordingListener();
    second.reattach(spec, ref, after);
    TaskOutcome outcome = awaitOutcome(after);

    assertThat(((TaskOutcome.Failed) outcome).failure().reason())
        .isEqualTo(FailureReason.CONTAINER_EXIT);
    assertThat(((TaskOutcome.Failed) outcome).failure().exitCode()).contains(4);
    assertThat(outcome.logTail()).contains("finishing");
    assertThat(after.running).hasValue(0);
    second.close();
    assertThat(before.outcomes).isEmpty();
    assertThat(after.outcomes).hasSize(1);
  }

  @Test
  void reattachingToARunWhoseContainerVanishedSaysWhatWasLookedFor() {
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    String runId = newRunId();
    TaskSpec spec = spec(runId, agentDoes("true"));
    BackendRef ref = new BackendRef("docker", runId, "0123456789ab", null, null, null);

    assertThatThrownBy(() -> backend.reattach(spec, ref, new RecordingListener()))
        .isInstanceOf(TaskFailure.class)
        .hasMessageContaining("0123456789ab")
        .hasMessageContaining("ozworker.dev/run-id=" + runId);
  }

  @Test
  void aRunStoppedBeforeItsContainerExistedIsPreparedAgainOnReattach() throws Exception {
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    String runId = newRunId();
    TaskSpec spec = spec(runId, agentDoes("echo prepared again"));
    RecordingListener listener = new RecordingListener();

    backend.reattach(spec, BackendRef.planned("docker", runId), listener);

    assertThat(awaitOutcome(listener)).isInstanceOf(TaskOutcome.Succeeded.class);
    assertThat(listener.running).hasValue(1);
    assertThat(listener.outcomes).hasSize(1);
    backend.cleanup(BackendRef.planned("docker", runId)).toCompletableFuture().get();
    backend.close();
  }

  @Test
  void withCleanupOffTheContainerStays() throws Exception {
    DockerBackend backend = backend(false, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    TaskSpec spec = spec(newRunId(), agentDoes("echo done"));
    RecordingListener listener = new RecordingListener();

    BackendRef ref = backend.start(spec, listener);
    assertThat(awaitOutcome(listener)).isInstanceOf(TaskOutcome.Succeeded.class);

    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(containersOf(spec.runId())).hasSize(1);
  }

  /**
   * A follow-up (same task id, new execution id) right after the first execution: its container
   * must not collide with the one the first left (cleanup off) and both run to their end.
   */
  @ParameterizedTest(name = "cleanup {0}")
  @ValueSource(booleans = {true, false})
  void twoExecutionsOfOneRunBackToBackEachRunInAContainerOfTheirOwn(boolean cleanup)
      throws Exception {
    DockerBackend backend = backend(cleanup, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    TaskSpec first = spec(newRunId(), agentDoes("echo first"));
    TaskSpec followUp =
        new TaskSpec(
            first.runId(),
            first.ozTaskId(),
            Optional.of("exec-2"),
            first.backend(),
            first.image(),
            agentDoes("echo follow-up"),
            first.ozArgs(),
            first.sidecars(),
            first.limits(),
            first.timeout(),
            first.harness(),
            first.object());

    for (TaskSpec execution : List.of(first, followUp)) {
      RecordingListener listener = new RecordingListener();
      BackendRef ref = backend.start(execution, listener);
      assertThat(awaitOutcome(listener)).isInstanceOf(TaskOutcome.Succeeded.class);
      assertThat(backend.cleanup(listener.located).toCompletableFuture().get()).isEmpty();
      assertThat(ref.runId()).isEqualTo(first.runId());
    }

    assertThat(containersOf(first.runId())).hasSize(cleanup ? 0 : 2);
  }

  @Test
  void neverPullingAMissingImageFailsWithImagePullAndCreatesNothing() throws Exception {
    DockerBackend backend = backend(true, List.of(), ImagePullPolicy.Never, Clock.systemUTC());
    String missing = "ozworker-test/absent:" + UUID.randomUUID().toString().substring(0, 8);
    TaskSpec spec = spec(newRunId(), agentDoes("true"));
    TaskSpec withMissingImage =
        new TaskSpec(
            spec.runId(),
            spec.ozTaskId(),
            spec.executionId(),
            spec.backend(),
            missing,
            spec.env(),
            spec.ozArgs(),
            spec.sidecars(),
            spec.limits(),
            spec.timeout(),
            spec.harness(),
            TaskObject.named(spec.runId()));
    RecordingListener listener = new RecordingListener();

    BackendRef ref = backend.start(withMissingImage, listener);
    TaskOutcome outcome = awaitOutcome(listener);

    TaskFailure failure = ((TaskOutcome.Failed) outcome).failure();
    assertThat(failure.reason()).isEqualTo(FailureReason.IMAGE_PULL);
    assertThat(failure.getMessage()).contains(missing, "Never");
    assertThat(listener.running).hasValue(0);
    assertThat(containersOf(spec.runId())).isEmpty();
    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
  }

  @Test
  void removesTheContainerOnceAnEngineThatTurnedCleanupAwayAnswersAgain() throws Exception {
    try (EngineDoor door = EngineDoor.open(signals.resolve("engine.sock"))) {
      DockerBackend backend =
          backend(
              true,
              List.of(),
              ImagePullPolicy.Never,
              Clock.systemUTC(),
              DockerEngine.at(door.dockerHost()));
      TaskSpec spec = spec(newRunId(), agentDoes("true"));
      RecordingListener listener = new RecordingListener();
      BackendRef ref = backend.start(spec, listener);
      assertThat(awaitOutcome(listener)).isInstanceOf(TaskOutcome.Succeeded.class);
      assertThat(containersOf(spec.runId())).hasSize(1);

      // As an engine that is restarting: connections are cut and new ones closed unanswered.
      door.shut();
      var cleanup = backend.cleanup(ref).toCompletableFuture();
      await().atMost(DEADLINE).until(() -> door.turnedAway() > 0);
      door.reopen();

      assertThat(cleanup.get(DEADLINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
          .isEmpty();
      assertThat(containersOf(spec.runId())).as("removed once the engine answered").isEmpty();
    }
  }

  private static String waitForSignalThenExit4() {
    return "while [ ! -e /signal/go ]; do sleep 0.1; done; echo finishing; exit 4";
  }

  private DockerBackend backend(
      boolean cleanup, List<VolumeMount> volumes, ImagePullPolicy policy, Clock clock) {
    return backend(cleanup, volumes, policy, clock, DockerEngine.fromEnvironment());
  }

  private DockerBackend backend(
      boolean cleanup,
      List<VolumeMount> volumes,
      ImagePullPolicy policy,
      Clock clock,
      DockerEngine engine) {
    Map<String, Object> file = new LinkedHashMap<>();
    file.put("worker_id", WORKER);
    file.put("cleanup", cleanup);
    file.put("task_timeout", "0s");
    file.put("cancel_grace_period", "5s");
    file.put("finished_task_ttl", "0s");
    file.put("task_log_dir", logs.toString());
    file.put("http_port", 0);
    file.put(
        "backend",
        Map.of(
            "docker",
            Map.of(
                "volumes",
                volumes.stream().map(VolumeMount::toBind).toList(),
                "environment",
                List.of(Map.of("name", "OPERATOR_VAR", "value", "from config")),
                "image_pull_policy",
                policy.name(),
                "network_mode",
                "none")));
    WorkerConfig config =
        ConfigFixtures.worker(
            file, Map.of("--server-root-url", "http://127.0.0.1:1", "--http-address", "127.0.0.1"));
    DockerBackend backend = new DockerBackend(config, engine, clock);
    backends.add(backend);
    return backend;
  }

  private String newRunId() {
    String runId = "it-" + UUID.randomUUID().toString().substring(0, 12);
    runIds.add(runId);
    return runId;
  }

  private static TaskEnv agentDoes(String shell) {
    return new TaskEnv(List.of(new TaskEnv.Entry("AGENT_DOES", shell, false)));
  }

  private TaskSpec spec(String runId, TaskEnv env) {
    return spec(runId, env, List.of("agent", "run"), ResourceLimits.NONE);
  }

  private TaskSpec spec(String runId, TaskEnv env, List<String> args, ResourceLimits limits) {
    return new TaskSpec(
        runId,
        Optional.of("oz-" + runId),
        Optional.of("exec-1"),
        BackendKind.DOCKER,
        image,
        env,
        args,
        List.of(new Sidecar(sidecarImage, "/agent", false)),
        limits,
        Duration.ZERO,
        "",
        TaskObject.named(runId));
  }

  /** A task on {@code taskImage} with these sidecars instead of the agent sidecar. */
  private TaskSpec spec(String runId, TaskEnv env, String taskImage, List<Sidecar> sidecars) {
    return new TaskSpec(
        runId,
        Optional.of("oz-" + runId),
        Optional.of("exec-1"),
        BackendKind.DOCKER,
        taskImage,
        env,
        List.of("agent", "run"),
        sidecars,
        ResourceLimits.NONE,
        Duration.ZERO,
        "",
        TaskObject.named(runId));
  }

  private static TaskOutcome awaitOutcome(RecordingListener listener) {
    await().atMost(DEADLINE).until(() -> !listener.outcomes.isEmpty());
    return listener.outcome();
  }

  private static List<String> lines(String log, String prefix) {
    return log.lines().filter(line -> line.startsWith(prefix)).toList();
  }

  private static List<Container> containersOf(String runId) {
    return docker
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(Map.of("ozworker.dev/run-id", runId))
        .exec();
  }

  private static InspectContainerResponse inspect(String runId) {
    List<Container> found = containersOf(runId);
    assertThat(found).hasSize(1);
    return docker.inspectContainerCmd(found.get(0).getId()).exec();
  }

  private static boolean volumeExists(String volume) {
    try {
      docker.inspectVolumeCmd(volume).exec();
      return true;
    } catch (NotFoundException absent) {
      return false;
    }
  }
}
