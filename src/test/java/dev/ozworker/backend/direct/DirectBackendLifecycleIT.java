package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.ConfigFixtures;
import dev.ozworker.config.DirectBackendConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cancellation, teardown, workspace ownership and restarts, on real processes. */
class DirectBackendLifecycleIT {
  @TempDir Path tmp;
  DirectRig rig;
  Path teardowns;
  Path release;

  @BeforeEach
  void rig() throws Exception {
    rig = new DirectRig(tmp);
    teardowns = tmp.resolve("teardowns");
    release = tmp.resolve("release");
  }

  @AfterEach
  void stopWhatWasStarted() {
    rig.stop();
  }

  /** Teardown appends the run id to a file, so each run's teardowns can be counted. */
  DirectBackendConfig countingTeardown() {
    return rig.config(null, countingTeardownCommand(), null);
  }

  String countingTeardownCommand() {
    return "echo \"$OZ_RUN_ID\" >>" + teardowns;
  }

  List<String> teardownsRun() throws Exception {
    return Files.exists(teardowns) ? Files.readAllLines(teardowns) : List.of();
  }

  @Test
  void cancelStopsTheWholeProcessGroupAndTeardownStillRunsOnce() throws Exception {
    DirectBackend backend = rig.backend(countingTeardown(), true);
    DirectRig.Listener listener = new DirectRig.Listener();
    BackendRef ref =
        backend.start(
            rig.task(
                "t-cancel",
                Map.of(
                    "STANDIN_GRANDCHILD", "1",
                    "STANDIN_IGNORE_TERM", "1",
                    "STANDIN_WAIT_FOR", release.toString())),
            listener);
    await().atMost(DirectRig.DEADLINE).until(() -> Files.exists(rig.record("t-cancel", "argv")));
    await()
        .atMost(DirectRig.DEADLINE)
        .until(() -> Files.exists(rig.record("t-cancel", "grandchild")));
    long agent = rig.recordedPid("t-cancel", "pid");
    long grandchild = rig.recordedPid("t-cancel", "grandchild");
    assertThat(DirectRig.processGroupOf(ref.processId())).isEqualTo(ref.processId());
    assertThat(DirectRig.processGroupOf(agent)).isEqualTo(ref.processId());
    assertThat(DirectRig.processGroupOf(grandchild)).isEqualTo(ref.processId());

    backend.cancel(ref, Duration.ofMillis(300));

    assertThat(listener.outcome()).isInstanceOf(TaskOutcome.Cancelled.class);
    await().atMost(DirectRig.DEADLINE).until(() -> DirectRig.isGone(grandchild));
    assertThat(DirectRig.isGone(agent)).isTrue();
    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(teardownsRun()).containsExactly("t-cancel");
    assertThat(Path.of(ref.workspace())).doesNotExist();
    listener.assertHeardOnce("running", "finished");
  }

  @Test
  void cancelDuringSetupStopsSetupAndTheAgentNeverStarts() throws Exception {
    Path started = tmp.resolve("setup-started");
    DirectBackend backend =
        rig.backend(
            rig.config("touch " + started + "; sleep 600", "echo td >>" + teardowns, null), true);
    DirectRig.Listener listener = new DirectRig.Listener();
    BackendRef ref = backend.start(rig.task("t-cancel-setup", Map.of()), listener);
    await().atMost(DirectRig.DEADLINE).until(() -> Files.exists(started));

    backend.cancel(ref, Duration.ofSeconds(5));

    assertThat(listener.outcome()).isInstanceOf(TaskOutcome.Cancelled.class);
    listener.assertHeardOnce("finished");
    assertThat(rig.records("t-cancel-setup")).doesNotExist();
    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(teardownsRun()).containsExactly("td");
  }

  @Test
  void teardownRunsExactlyOnceAfterSuccessAndAfterFailureEvenWhenCleanupIsRepeated()
      throws Exception {
    DirectBackend backend = rig.backend(countingTeardown(), true);
    DirectRig.Listener ok = new DirectRig.Listener();
    DirectRig.Listener failing = new DirectRig.Listener();
    BackendRef okRef = backend.start(rig.task("t-ok", Map.of()), ok);
    BackendRef failingRef = backend.start(rig.task("t-fail", Map.of("STANDIN_EXIT", "3")), failing);
    assertThat(ok.outcome()).isInstanceOf(TaskOutcome.Succeeded.class);
    assertThat(failing.outcome()).isInstanceOf(TaskOutcome.Failed.class);

    assertThat(backend.cleanup(okRef).toCompletableFuture().get()).isEmpty();
    assertThat(backend.cleanup(failingRef).toCompletableFuture().get()).isEmpty();
    assertThat(backend.cleanup(okRef).toCompletableFuture().get()).isEmpty();
    DirectBackend restarted = rig.backend(countingTeardown(), true);
    assertThat(restarted.cleanup(okRef).toCompletableFuture().get()).isEmpty();

    assertThat(teardownsRun()).containsExactlyInAnyOrder("t-ok", "t-fail");
    assertThat(Path.of(okRef.workspace())).doesNotExist();
    assertThat(Path.of(failingRef.workspace())).doesNotExist();
  }

  @Test
  void aTeardownThatOutlivesItsTimeoutIsKilledAndReportedAndTheWorkspaceStillGoes()
      throws Exception {
    Path pidFile = tmp.resolve("teardown-pid");
    DirectBackend backend =
        rig.backend(
            rig.config(null, "echo $$ >" + pidFile + "; exec sleep 600", Duration.ofMillis(500)),
            true);
    DirectRig.Listener listener = new DirectRig.Listener();
    BackendRef ref = backend.start(rig.task("t-slow-teardown", Map.of()), listener);
    assertThat(listener.outcome()).isInstanceOf(TaskOutcome.Succeeded.class);

    Optional<TaskFailure> failure = backend.cleanup(ref).toCompletableFuture().get();

    assertThat(failure).isPresent();
    assertThat(failure.get().reason()).isEqualTo(FailureReason.TEARDOWN_COMMAND);
    assertThat(failure.get().getMessage()).contains("teardown_timeout", "killed");
    long teardown = Long.parseLong(Files.readString(pidFile).strip());
    await().atMost(DirectRig.DEADLINE).until(() -> DirectRig.isGone(teardown));
    assertThat(Path.of(ref.workspace())).doesNotExist();
  }

  @Test
  void inTargetDirModeEveryRunWorksInTheSharedDirectoryWhichIsKept() throws Exception {
    Path shared = Files.createDirectories(tmp.resolve("checkout"));
    Files.writeString(shared.resolve("README"), "mine");
    Map<String, Object> keys = rig.keys(null, countingTeardownCommand(), null);
    keys.put("target_dir", shared.toString());
    DirectBackendConfig config = ConfigFixtures.direct(keys);
    DirectBackend backend = rig.backend(config, true);
    DirectRig.Listener listener = new DirectRig.Listener();

    BackendRef ref = backend.start(rig.task("t-shared", Map.of()), listener);

    assertThat(listener.outcome()).isInstanceOf(TaskOutcome.Succeeded.class);
    assertThat(Files.readString(rig.record("t-shared", "cwd")).strip())
        .isEqualTo(shared.toRealPath().toString());
    assertThat(rig.environ("t-shared").get("GIT_CONFIG_GLOBAL"))
        .doesNotStartWith(shared.toString());
    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(teardownsRun()).containsExactly("t-shared");
    assertThat(shared.resolve("README")).hasContent("mine");
    assertThat(rig.workspaces.resolve("t-shared")).doesNotExist();
  }

  @Test
  void withCleanupOffTheWorkspaceIsKeptAfterTeardown() throws Exception {
    DirectBackend backend = rig.backend(countingTeardown(), false);
    DirectRig.Listener listener = new DirectRig.Listener();
    BackendRef ref = backend.start(rig.task("t-keep", Map.of()), listener);
    assertThat(listener.outcome()).isInstanceOf(TaskOutcome.Succeeded.class);

    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();

    assertThat(teardownsRun()).containsExactly("t-keep");
    assertThat(Path.of(ref.workspace())).isDirectory();
  }

  @Test
  void aWorkspaceThatAlreadyExistsIsRefusedAndNeverRemoved() throws Exception {
    Path foreign = Files.createDirectories(rig.workspaces.resolve("t-taken"));
    Files.writeString(foreign.resolve("data"), "someone else's");
    DirectBackend backend = rig.backend(countingTeardown(), true);

    assertThatThrownBy(() -> backend.start(rig.task("t-taken", Map.of()), new DirectRig.Listener()))
        .isInstanceOfSatisfying(
            TaskFailure.class,
            failure -> assertThat(failure.reason()).isEqualTo(FailureReason.WORKSPACE_SETUP));
    assertThat(backend.cleanup(DirectRig.planned("t-taken")).toCompletableFuture().get()).isEmpty();

    assertThat(foreign.resolve("data")).hasContent("someone else's");
    assertThat(teardownsRun()).isEmpty();
  }

  @Test
  void afterARestartARunningAgentIsFoundByItsPlannedRefAndReportsItsRealExitCodeOnce()
      throws Exception {
    DirectBackend first = rig.backend(rig.config("true", "echo td >>" + teardowns, null), true);
    DirectRig.Listener before = new DirectRig.Listener();
    first.start(
        rig.task("t-restart", Map.of("STANDIN_WAIT_FOR", release.toString(), "STANDIN_EXIT", "7")),
        before);
    await().atMost(DirectRig.DEADLINE).until(() -> Files.exists(rig.record("t-restart", "argv")));
    first.close();

    DirectBackend second = rig.backend(rig.config("true", "echo td >>" + teardowns, null), true);
    DirectRig.Listener after = new DirectRig.Listener();
    second.reattach(rig.task("t-restart", Map.of()), DirectRig.planned("t-restart"), after);
    after.awaitRunning();
    Files.writeString(release, "go");

    TaskOutcome outcome = after.outcome();
    assertThat(((TaskOutcome.Failed) outcome).failure().exitCode()).contains(7);
    after.assertHeardOnce("running", "finished");
    assertThat(before.events).containsExactly("running");
    assertThat(second.cleanup(DirectRig.planned("t-restart")).toCompletableFuture().get())
        .isEmpty();
    assertThat(teardownsRun()).containsExactly("td");
    assertThat(rig.workspaces.resolve("t-restart")).doesNotExist();
  }

  @Test
  void afterARestartARunThatEndedMeanwhileReportsTheStatusItLeft() throws Exception {
    DirectBackend first = rig.backend(rig.config(), true);
    DirectRig.Listener before = new DirectRig.Listener();
    BackendRef ref =
        first.start(
            rig.task("t-gone", Map.of("STANDIN_WAIT_FOR", release.toString(), "STANDIN_EXIT", "5")),
            before);
    await().atMost(DirectRig.DEADLINE).until(() -> Files.exists(rig.record("t-gone", "argv")));
    first.close();
    Files.writeString(release, "go");
    RunFiles files = RunFiles.of(rig.logs, "t-gone");
    await().atMost(DirectRig.DEADLINE).until(() -> files.exitStatus().isPresent());

    DirectBackend second = rig.backend(rig.config(), true);
    DirectRig.Listener after = new DirectRig.Listener();
    second.reattach(rig.task("t-gone", Map.of()), ref, after);

    assertThat(((TaskOutcome.Failed) after.outcome()).failure().exitCode()).contains(5);
    after.assertHeardOnce("finished");
  }

  @Test
  void afterARestartASetupLeftRunningIsStoppedAndTheRunFailsThenTearsDown() throws Exception {
    Path setupPid = rig.records.resolve("setup-pid");
    String setup =
        "echo $$ >"
            + setupPid
            + ".part; mv "
            + setupPid
            + ".part "
            + setupPid
            + "; "
            + "while [ ! -e "
            + release
            + " ]; do sleep 0.05; done";
    DirectBackend first = rig.backend(rig.config(setup, "echo td >>" + teardowns, null), true);
    first.start(rig.task("t-orphan", Map.of()), new DirectRig.Listener());
    await().atMost(DirectRig.DEADLINE).until(() -> Files.exists(setupPid));
    long pid = Long.parseLong(Files.readString(setupPid).strip());
    first.close();
    assertThat(DirectRig.isGone(pid)).as("closing leaves the setup running").isFalse();

    DirectBackend second = rig.backend(rig.config(setup, "echo td >>" + teardowns, null), true);
    assertThatThrownBy(
            () ->
                second.reattach(
                    rig.task("t-orphan", Map.of()),
                    DirectRig.planned("t-orphan"),
                    new DirectRig.Listener()))
        .isInstanceOf(TaskFailure.class)
        .hasMessageContaining("never started");

    await().atMost(DirectRig.DEADLINE).until(() -> DirectRig.isGone(pid));
    assertThat(second.cleanup(DirectRig.planned("t-orphan")).toCompletableFuture().get()).isEmpty();
    assertThat(teardownsRun()).containsExactly("td");
    assertThat(rig.workspaces.resolve("t-orphan")).doesNotExist();
  }

  @Test
  void afterARestartASetupWhosePidWasNeverRecordedIsFoundByItsEnvironmentAndStopped()
      throws Exception {
    Path setupPid = rig.records.resolve("setup-pid");
    String setup =
        "echo $$ >"
            + setupPid
            + ".part; mv "
            + setupPid
            + ".part "
            + setupPid
            + "; "
            + "while [ ! -e "
            + release
            + " ]; do sleep 0.05; done";
    DirectBackend first = rig.backend(rig.config(setup, "echo td >>" + teardowns, null), true);
    first.start(rig.task("t-unrecorded", Map.of()), new DirectRig.Listener());
    await().atMost(DirectRig.DEADLINE).until(() -> Files.exists(setupPid));
    long pid = Long.parseLong(Files.readString(setupPid).strip());
    first.close();
    // as if the worker had been killed after starting setup and before recording its group
    Path recorded = rig.logs.resolve(".direct").resolve("t-unrecorded").resolve("setup-pid");
    await().atMost(DirectRig.DEADLINE).until(() -> Files.exists(recorded));
    Files.delete(recorded);

    DirectBackend second = rig.backend(rig.config(setup, "echo td >>" + teardowns, null), true);
    assertThatThrownBy(
            () ->
                second.reattach(
                    rig.task("t-unrecorded", Map.of()),
                    DirectRig.planned("t-unrecorded"),
                    new DirectRig.Listener()))
        .isInstanceOf(TaskFailure.class)
        .hasMessageContaining("never started");

    await().atMost(DirectRig.DEADLINE).until(() -> DirectRig.isGone(pid));
    assertThat(second.cleanup(DirectRig.planned("t-unrecorded")).toCompletableFuture().get())
        .isEmpty();
  }

  @Test
  void afterARestartARunThatNeverGotAWorkspaceCannotBeFound() {
    DirectBackend backend = rig.backend(rig.config(), true);

    assertThatThrownBy(
            () ->
                backend.reattach(
                    rig.task("t-never", Map.of()),
                    DirectRig.planned("t-never"),
                    new DirectRig.Listener()))
        .isInstanceOf(TaskFailure.class)
        .hasMessageContaining("t-never");
  }

  @Test
  void closeLeavesRunningAgentsTheirWorkspacesAndOtherEntriesOfTheRootAlone() throws Exception {
    Path other = Files.createDirectories(rig.workspaces.resolve("not-a-run"));
    DirectBackend backend = rig.backend(rig.config(), true);
    DirectRig.Listener listener = new DirectRig.Listener();
    BackendRef ref =
        backend.start(rig.task("t-live", Map.of("STANDIN_WAIT_FOR", release.toString())), listener);
    await().atMost(DirectRig.DEADLINE).until(() -> Files.exists(rig.record("t-live", "argv")));

    backend.close();

    assertThat(other).isDirectory();
    assertThat(Path.of(ref.workspace())).isDirectory();
    assertThat(DirectRig.isGone(rig.recordedPid("t-live", "pid"))).isFalse();
    DirectBackend restarted = rig.backend(rig.config(), true);
    DirectRig.Listener after = new DirectRig.Listener();
    restarted.reattach(rig.task("t-live", Map.of()), ref, after);
    restarted.cancel(ref, Duration.ofSeconds(5));
    assertThat(after.outcome()).isInstanceOf(TaskOutcome.Cancelled.class);
    assertThat(restarted.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(Path.of(ref.workspace())).doesNotExist();
    assertThat(other).isDirectory();
  }
}
