package dev.ozworker.backend.docker;

import static dev.ozworker.backend.docker.DockerBackendTest.IMAGE;
import static dev.ozworker.backend.docker.DockerBackendTest.failure;
import static dev.ozworker.backend.docker.FakeDockerEngine.PLATFORM;
import static dev.ozworker.backend.docker.FakeEngineRig.DEADLINE;
import static dev.ozworker.backend.docker.FakeEngineRig.outcome;
import static dev.ozworker.backend.docker.FakeEngineRig.ref;
import static dev.ozworker.backend.docker.FakeEngineRig.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted worker's Docker backend finding what an earlier process left on a fake engine: a
 * container by its id or its run label, in whatever state it is, or nothing; and a container that
 * disappears while it is followed.
 */
class DockerBackendReattachTest {
  @TempDir Path dir;
  FakeEngineRig rig;

  @BeforeEach
  void start() {
    rig = new FakeEngineRig(dir);
    rig.engine.images.onEngine(IMAGE, PLATFORM);
  }

  @AfterEach
  void close() {
    rig.close();
  }

  @Test
  void aRunningContainerFoundByItsRunLabelIsFollowedToItsEndWithoutAStart() throws Exception {
    left("survivor", "running");
    RecordingListener listener = new RecordingListener();

    rig.backend.reattach(spec("survivor", IMAGE), ref("survivor", null), listener);
    await().atMost(DEADLINE).until(() -> listener.running.get() == 1);
    rig.engine.print(FakeEngineRig.name("survivor"), "still here\n");
    rig.engine.exit(FakeEngineRig.name("survivor"), 0, false);

    TaskOutcome outcome = outcome(listener);
    assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
    assertThat(outcome.logTail()).endsWith("still here\n");
    assertThat(rig.commands()).doesNotContain("create", "start");
  }

  @Test
  void aContainerCreatedButNotStartedBeforeTheRestartIsStarted() throws Exception {
    FakeDockerEngine.Container created = left("half-way", "created");
    RecordingListener listener = new RecordingListener();

    rig.backend.reattach(spec("half-way", IMAGE), ref("half-way", created.id), listener);

    await().atMost(DEADLINE).until(() -> listener.running.get() == 1);
    assertThat(rig.engine.calls("start")).containsExactly("start " + created.id);
    assertThat(rig.commands()).doesNotContain("create");
  }

  @Test
  void aContainerThatExitedWhileTheWorkerWasDownGivesItsResult() throws Exception {
    FakeDockerEngine.Container exited = left("quick", "exited");
    rig.engine.exit(FakeEngineRig.name("quick"), 3, false);
    RecordingListener listener = new RecordingListener();

    rig.backend.reattach(spec("quick", IMAGE), ref("quick", exited.id), listener);

    TaskFailure failure = failure(outcome(listener));
    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_EXIT);
    assertThat(failure.exitCode()).contains(3);
    assertThat(listener.running).hasValue(0);
    assertThat(rig.commands()).doesNotContain("start");
  }

  @Test
  void aContainerThatCannotBeFoundSaysWhatWasLookedFor() {
    assertThatThrownBy(
            () ->
                rig.backend.reattach(
                    spec("vanished", IMAGE), ref("vanished", "c0ffee"), new RecordingListener()))
        .isInstanceOfSatisfying(
            TaskFailure.class,
            failure -> {
              assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_WAIT);
              assertThat(failure.getMessage())
                  .isEqualTo(
                      "the worker restarted and found neither container c0ffee nor a container"
                          + " labelled ozworker.dev/run-id=vanished on the Docker engine");
            });
  }

  @Test
  void aRunStoppedBeforeItsContainerExistedIsPreparedAgain() throws Exception {
    RecordingListener listener = new RecordingListener();

    rig.backend.reattach(spec("early", IMAGE), ref("early", null), listener);

    await().atMost(DEADLINE).until(() -> listener.running.get() == 1);
    assertThat(rig.commands()).containsSubsequence("listContainers", "create", "start");
  }

  @Test
  void aContainerRemovedBehindTheBackendsBackEndsTheRunAsContainerWait() throws Exception {
    RecordingListener listener = rig.running(spec("removed", IMAGE));

    rig.engine.vanish(FakeEngineRig.name("removed"));

    TaskFailure failure = failure(outcome(listener));
    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_WAIT);
    assertThat(failure.getMessage()).contains("disappeared while the task ran");
  }

  /** A container an earlier worker process made for the run, in {@code status}. */
  private FakeDockerEngine.Container left(String runId, String status) {
    return rig.engine.existing(
        new FakeDockerClient.Created(
            ContainerSpecs.containerName(FakeEngineRig.spec(runId, IMAGE)),
            IMAGE,
            Map.of(
                DockerLabels.RUN_ID,
                runId,
                DockerLabels.EXECUTION_ID,
                "exec-1",
                DockerLabels.WORKER_ID,
                FakeEngineRig.WORKER),
            List.of("/agent/entrypoint.sh", "agent", "run"),
            List.of(),
            List.of(),
            Optional.of("none"),
            Optional.empty()),
        status);
  }
}
