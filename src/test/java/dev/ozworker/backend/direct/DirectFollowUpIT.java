package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.task.TaskSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two executions of one run back to back (a follow-up: same task id, new execution id), as Oz sends
 * them: the second is served like the first, with cleanup on (a fresh workspace) and off (the kept
 * workspace used again, with what the first left in it, as the reference worker does).
 */
class DirectFollowUpIT {
  @TempDir Path tmp;
  DirectRig rig;

  @BeforeEach
  void rig() throws Exception {
    rig = new DirectRig(tmp);
  }

  @AfterEach
  void stopWhatWasStarted() {
    rig.stop();
  }

  @Test
  void withCleanupOffTheFollowUpRunsInTheWorkspaceTheFirstExecutionLeft() throws Exception {
    DirectBackend backend = rig.backend(rig.config(), false);
    Path workspace = rig.workspaces.resolve("task-f");

    assertThat(execute(backend, "task-f")).isInstanceOf(TaskOutcome.Succeeded.class);
    Files.writeString(workspace.resolve("left-by-the-first"), "work in progress");
    Files.delete(rig.record("task-f", "argv"));

    assertThat(execute(backend, "task-f")).isInstanceOf(TaskOutcome.Succeeded.class);
    assertThat(Files.readString(rig.record("task-f", "cwd")).strip())
        .isEqualTo(workspace.toRealPath().toString());
    assertThat(workspace.resolve("left-by-the-first")).hasContent("work in progress");
  }

  @Test
  void withCleanupOnTheFollowUpGetsAFreshWorkspace() throws Exception {
    DirectBackend backend = rig.backend(rig.config(), true);
    Path workspace = rig.workspaces.resolve("task-c");

    assertThat(execute(backend, "task-c")).isInstanceOf(TaskOutcome.Succeeded.class);
    assertThat(workspace).doesNotExist();
    Files.delete(rig.record("task-c", "argv"));

    assertThat(execute(backend, "task-c")).isInstanceOf(TaskOutcome.Succeeded.class);
    assertThat(rig.argv("task-c")).contains("--task-id", "task-c");
    assertThat(workspace).doesNotExist();
  }

  @Test
  void aDirectoryOfTheSameNameTheWorkerDidNotKeepIsStillRefused() throws Exception {
    DirectBackend backend = rig.backend(rig.config(), false);
    Path workspace = rig.workspaces.resolve("task-k");
    assertThat(execute(backend, "task-k")).isInstanceOf(TaskOutcome.Succeeded.class);
    // someone replaces the kept workspace by a directory of their own
    RunFiles.deleteTree(workspace);
    Files.createDirectories(workspace.resolve("theirs"));

    assertThatThrownBy(() -> backend.start(rig.task("task-k", Map.of()), new DirectRig.Listener()))
        .isInstanceOfSatisfying(
            TaskFailure.class,
            failure -> assertThat(failure.reason()).isEqualTo(FailureReason.WORKSPACE_SETUP));
    assertThat(workspace.resolve("theirs")).isDirectory();
  }

  /** Runs one execution of {@code runId} to its end and cleans it up, as the controller does. */
  private TaskOutcome execute(DirectBackend backend, String runId) throws Exception {
    TaskSpec spec = rig.task(runId, Map.of());
    DirectRig.Listener listener = new DirectRig.Listener();
    BackendRef ref = backend.start(spec, listener);
    TaskOutcome outcome = listener.outcome();
    Optional<TaskFailure> cleanup =
        backend
            .cleanup(ref)
            .toCompletableFuture()
            .get(DirectRig.DEADLINE.toSeconds(), TimeUnit.SECONDS);
    assertThat(cleanup).isEmpty();
    return outcome;
  }
}
