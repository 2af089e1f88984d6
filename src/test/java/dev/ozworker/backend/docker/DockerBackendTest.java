package dev.ozworker.backend.docker;

import static dev.ozworker.backend.docker.FakeDockerEngine.PLATFORM;
import static dev.ozworker.backend.docker.FakeEngineRig.DEADLINE;
import static dev.ozworker.backend.docker.FakeEngineRig.outcome;
import static dev.ozworker.backend.docker.FakeEngineRig.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.exception.InternalServerErrorException;
import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.task.Sidecar;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker backend against a fake engine: what it asks the engine for, in which order, and how it
 * reads the answers (pull policy, exits, OOM, name clashes, refused starts, stops, removal, sidecar
 * volumes). {@code DockerBackendIT} runs the same backend on the real engine.
 */
class DockerBackendTest {
  static final String IMAGE = "example.com/task:1";

  @TempDir Path dir;
  FakeEngineRig rig;

  @AfterEach
  void close() {
    rig.close();
  }

  @Test
  void pullsCreatesStartsFollowsAndRemovesInThatOrder() throws Exception {
    rig = new FakeEngineRig(dir);
    rig.engine.images.inRegistry(IMAGE, PLATFORM);
    RecordingListener listener = new RecordingListener();

    BackendRef ref = rig.backend.start(spec("run-1", IMAGE), listener);
    await().atMost(DEADLINE).until(() -> listener.running.get() == 1);
    rig.engine.print(FakeEngineRig.name("run-1"), "hello from the agent\n");
    rig.engine.exit(FakeEngineRig.name("run-1"), 0, false);

    assertThat(outcome(listener)).isEqualTo(new TaskOutcome.Succeeded("hello from the agent\n"));
    FakeDockerEngine.Container container = rig.container("run-1");
    assertThat(ref).isEqualTo(BackendRef.planned("docker", "run-1"));
    assertThat(listener.located.containerId()).isEqualTo(container.id);
    assertThat(rig.engine.calls("pull")).containsExactly("pull example.com/task:1 " + PLATFORM);
    assertThat(container.spec.cmd()).containsExactly("/agent/entrypoint.sh", "agent", "run");
    assertThat(container.spec.env()).contains("TASK_ID=run-1");
    assertThat(container.spec.networkMode()).contains("none");
    assertThat(container.spec.labels())
        .containsEntry(DockerLabels.RUN_ID, "run-1")
        .containsEntry(DockerLabels.WORKER_ID, FakeEngineRig.WORKER)
        .containsEntry(DockerLabels.TASK_ID, "oz-run-1");

    assertThat(rig.backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(rig.commands())
        .containsSubsequence("inspectImage", "pull", "inspectImage", "create", "start", "logs")
        .as("the run's own sidecar copies are looked for once its container is gone")
        .endsWith("remove", "listVolumes")
        .doesNotContain("stop");
    assertThat(rig.engine.container(FakeEngineRig.name("run-1"))).isEmpty();
  }

  @Test
  void anImageOnTheEngineIsNotPulledUnlessThePolicyIsAlways() throws Exception {
    rig = new FakeEngineRig(dir);
    rig.engine.images.onEngine(IMAGE, PLATFORM).inRegistry(IMAGE, PLATFORM);
    rig.running(spec("present", IMAGE));
    assertThat(rig.engine.calls("pull")).isEmpty();
    rig.close();

    rig = new FakeEngineRig(dir, "image_pull_policy: Always", true);
    rig.engine.images.onEngine(IMAGE, PLATFORM).inRegistry(IMAGE, PLATFORM);
    rig.running(spec("always", IMAGE));
    assertThat(rig.engine.calls("pull")).hasSize(1);
  }

  @Test
  void aMissingImageUnderPolicyNeverFailsWithImagePullAndCreatesNothing() throws Exception {
    rig = new FakeEngineRig(dir, "image_pull_policy: Never", true);
    rig.engine.images.inRegistry(IMAGE, PLATFORM);
    RecordingListener listener = new RecordingListener();

    rig.backend.start(spec("never", IMAGE), listener);

    TaskFailure failure = failure(outcome(listener));
    assertThat(failure.reason()).isEqualTo(FailureReason.IMAGE_PULL);
    assertThat(failure.getMessage()).contains(IMAGE, "image_pull_policy is Never");
    assertThat(rig.commands()).containsExactly("inspectImage");
  }

  @Test
  void aPullTheRegistryRefusesInItsStreamFailsWithTheRegistrysMessage() throws Exception {
    rig = new FakeEngineRig(dir);
    RecordingListener listener = new RecordingListener();

    rig.backend.start(spec("unknown", "example.com/nowhere:1"), listener);

    TaskFailure failure = failure(outcome(listener));
    assertThat(failure.reason()).isEqualTo(FailureReason.IMAGE_PULL);
    assertThat(failure.getMessage())
        .isEqualTo("cannot pull image example.com/nowhere:1: manifest unknown");
    assertThat(rig.commands()).doesNotContain("create");
  }

  @Test
  void aSidecarImageThatCannotBePulledFailsAsSidecarPrepAsInTheReference() throws Exception {
    rig = new FakeEngineRig(dir);
    rig.engine.images.inRegistry(IMAGE, PLATFORM);
    RecordingListener listener = new RecordingListener();

    rig.backend.start(
        spec("sidecar", IMAGE, List.of(new Sidecar("example.com/nowhere:1", "/agent", false))),
        listener);

    TaskFailure failure = failure(outcome(listener));
    assertThat(failure.reason()).isEqualTo(FailureReason.SIDECAR_PREP);
    assertThat(failure.getMessage())
        .isEqualTo("sidecar /agent: cannot pull image example.com/nowhere:1: manifest unknown");
    assertThat(rig.commands()).doesNotContain("create");
  }

  @Test
  void anImageForAnotherPlatformIsRefusedBeforeAnyContainerExists() throws Exception {
    rig = new FakeEngineRig(dir);
    rig.engine.images.onEngine(IMAGE, "linux/arm64");
    RecordingListener listener = new RecordingListener();

    rig.backend.start(spec("arm", IMAGE), listener);

    TaskFailure failure = failure(outcome(listener));
    assertThat(failure.reason()).isEqualTo(FailureReason.IMAGE_PULL);
    assertThat(failure.getMessage())
        .isEqualTo("image " + IMAGE + " is for linux/arm64, but this engine runs " + PLATFORM);
    assertThat(rig.commands()).doesNotContain("create");
  }

  @Test
  void anExitPastTheMemoryLimitIsContainerOomAndAnyOtherIsContainerExit() throws Exception {
    rig = new FakeEngineRig(dir);
    rig.engine.images.onEngine(IMAGE, PLATFORM);
    RecordingListener oom = rig.running(spec("oom", IMAGE));
    RecordingListener three = rig.running(spec("three", IMAGE));

    rig.engine.exit(FakeEngineRig.name("oom"), 137, true);
    rig.engine.exit(FakeEngineRig.name("three"), 3, false);

    TaskFailure killed = failure(outcome(oom));
    assertThat(killed.reason()).isEqualTo(FailureReason.CONTAINER_OOM);
    assertThat(killed.exitCode()).contains(137);
    assertThat(killed.getMessage()).contains("killed for exceeding its memory limit");
    TaskFailure exited = failure(outcome(three));
    assertThat(exited.reason()).isEqualTo(FailureReason.CONTAINER_EXIT);
    assertThat(exited.exitCode()).contains(3);
    assertThat(exited.getMessage()).isEqualTo("container exited with non-zero status: 3");
  }

  @Test
  void aContainerNameAlreadyTakenFailsWithContainerCreateAndStartsNothing() throws Exception {
    rig = new FakeEngineRig(dir);
    rig.engine.images.onEngine(IMAGE, PLATFORM);
    rig.engine.existing(
        new FakeDockerClient.Created(
            FakeEngineRig.name("clash"),
            IMAGE,
            java.util.Map.of(),
            List.of(),
            List.of(),
            List.of(),
            Optional.empty(),
            Optional.empty()),
        "exited");
    RecordingListener listener = new RecordingListener();

    rig.backend.start(spec("clash", IMAGE), listener);

    TaskFailure failure = failure(outcome(listener));
    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_CREATE);
    assertThat(failure.getMessage()).contains("cannot create container oz-clash", "already in use");
    assertThat(rig.commands()).doesNotContain("start");
    assertThat(listener.running).hasValue(0);
  }

  @Test
  void aStartTheEngineRefusesFailsWithContainerStart() throws Exception {
    rig = new FakeEngineRig(dir);
    rig.engine.images.onEngine(IMAGE, PLATFORM);
    rig.engine.failNext("start", new InternalServerErrorException("no space left on device"));
    RecordingListener listener = new RecordingListener();

    rig.backend.start(spec("refused", IMAGE), listener);

    TaskFailure failure = failure(outcome(listener));
    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_START);
    assertThat(failure.getMessage()).contains("no space left on device");
    assertThat(listener.running).hasValue(0);
  }

  @Test
  void aCancelStopsTheContainerWithTheGraceInWholeSecondsRoundedUp() throws Exception {
    rig = new FakeEngineRig(dir);
    rig.engine.images.onEngine(IMAGE, PLATFORM);
    RecordingListener listener = rig.running(spec("stopped", IMAGE));
    String id = rig.container("stopped").id;

    rig.backend.cancel(FakeEngineRig.ref("stopped", id), Duration.ofMillis(1500));

    assertThat(outcome(listener)).isInstanceOf(TaskOutcome.Cancelled.class);
    assertThat(rig.engine.calls("stop")).containsExactly("stop " + id + " 2");
  }

  @Test
  void aCancelWhilePullingClosesThePullAndNoContainerIsCreated() throws Exception {
    rig = new FakeEngineRig(dir);
    rig.engine.images.inRegistry(IMAGE, PLATFORM).holdPulls();
    RecordingListener listener = new RecordingListener();
    BackendRef ref = rig.backend.start(spec("pulling", IMAGE), listener);
    await().atMost(DEADLINE).until(() -> !rig.engine.calls("pull").isEmpty());

    rig.backend.cancel(ref, Duration.ofSeconds(5));

    assertThat(outcome(listener)).isInstanceOf(TaskOutcome.Cancelled.class);
    rig.engine.images.releasePulls();
    assertThat(rig.commands()).doesNotContain("create", "start", "stop");
  }

  @Test
  void aSidecarImageIsCopiedIntoItsVolumeOnceAndMountedReadOnly() throws Exception {
    rig = new FakeEngineRig(dir);
    String sidecar = "example.com/agent-sidecar:2";
    rig.engine.images.onEngine(IMAGE, PLATFORM).inRegistry(sidecar, PLATFORM);
    List<Sidecar> sidecars = List.of(new Sidecar(sidecar, "/agent", false));

    rig.running(spec("first", IMAGE, sidecars));
    rig.running(spec("second", IMAGE, sidecars));

    assertThat(rig.engine.volumes.all()).hasSize(1);
    String volume = rig.engine.volumes.all().keySet().iterator().next();
    assertThat(volume).startsWith("example.com-agent-sidecar-");
    assertThat(rig.engine.volumes.all().get(volume))
        .containsEntry(DockerLabels.SIDECAR_IMAGE, sidecar)
        .containsEntry(
            DockerLabels.SIDECAR_DIGEST, "sha256:" + EngineJson.hex("registry " + sidecar))
        .containsEntry(DockerLabels.CREATED, "2026-12-05T10:00:00Z");
    assertThat(rig.engine.volumes.contents(volume))
        .hasValue(("filesystem of " + sidecar).getBytes());
    assertThat(rig.engine.calls("createVolume")).hasSize(1);
    assertThat(rig.engine.calls("copyTo")).hasSize(1);
    assertThat(rig.container("first").spec.binds()).containsExactly(volume + ":/agent:ro");
    assertThat(rig.container("second").spec.binds()).containsExactly(volume + ":/agent:ro");
    assertThat(rig.engine.calls("create"))
        .as("two copy containers, then the tasks'")
        .hasSize(4)
        .endsWith(
            "create " + FakeEngineRig.name("first"), "create " + FakeEngineRig.name("second"));
    assertThat(rig.engine.calls("remove")).as("both copy containers removed").hasSize(2);
  }

  @Test
  void aRemovalTheEngineRefusesAtFirstIsTriedAgainUntilTheContainerIsGone() throws Exception {
    rig = new FakeEngineRig(dir);
    rig.engine.images.onEngine(IMAGE, PLATFORM);
    RecordingListener listener = rig.running(spec("sticky", IMAGE));
    rig.engine.exit(FakeEngineRig.name("sticky"), 0, false);
    outcome(listener);
    rig.engine.failNext("remove", new InternalServerErrorException("engine restarting"));

    Optional<TaskFailure> cleanup =
        rig.backend.cleanup(FakeEngineRig.ref("sticky", null)).toCompletableFuture().get();

    assertThat(cleanup).isEmpty();
    assertThat(rig.engine.calls("remove")).hasSize(2);
    assertThat(rig.engine.container(FakeEngineRig.name("sticky"))).isEmpty();
  }

  @Test
  void cleanupOfAContainerAlreadyGoneSucceedsAndWithCleanupOffTheContainerStays() throws Exception {
    rig = new FakeEngineRig(dir);
    assertThat(rig.backend.cleanup(FakeEngineRig.ref("gone", "c0ffee")).toCompletableFuture().get())
        .isEmpty();
    rig.close();

    rig = new FakeEngineRig(dir, "", false);
    rig.engine.images.onEngine(IMAGE, PLATFORM);
    RecordingListener listener = rig.running(spec("kept", IMAGE));
    rig.engine.exit(FakeEngineRig.name("kept"), 0, false);
    outcome(listener);

    assertThat(rig.backend.cleanup(FakeEngineRig.ref("kept", null)).toCompletableFuture().get())
        .isEmpty();
    assertThat(rig.engine.calls("remove")).isEmpty();
    assertThat(rig.engine.container(FakeEngineRig.name("kept"))).isPresent();
  }

  static TaskFailure failure(TaskOutcome outcome) {
    assertThat(outcome).isInstanceOf(TaskOutcome.Failed.class);
    return ((TaskOutcome.Failed) outcome).failure();
  }
}
