package dev.ozworker.backend.direct;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.observe.Redactor;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The end of a run: {@code teardown_command} unless it already ran, then the workspace's removal
 * (only one this backend created, and not when cleanup is off), then the run's files. Works from
 * {@link RunFiles} alone, so it serves a run found after a restart as well as a run that never got
 * a workspace (then there is nothing to tear down).
 *
 * <p>Teardown runs once: its completion is recorded before anything is removed, so a cleanup
 * repeated after a crash removes what is left without running teardown again; once the run's files
 * are gone, a repeated cleanup finds nothing to do.
 */
final class RunCleanup {
  private static final Logger log = LoggerFactory.getLogger(RunCleanup.class);

  private final DirectSettings settings;
  private final Workspaces workspaces;
  private final Executor executor;
  private final Set<RunFiles.Workspace> unremoved = ConcurrentHashMap.newKeySet();

  RunCleanup(DirectSettings settings, Workspaces workspaces, Executor executor) {
    this.settings = settings;
    this.workspaces = workspaces;
    this.executor = executor;
  }

  /**
   * Cleans up the run; completes with the teardown's failure (else a removal's), never
   * exceptionally.
   *
   * @param redactor masks the teardown's output
   */
  CompletableFuture<Optional<TaskFailure>> run(String runId, Redactor redactor) {
    if (Workspaces.invalid(runId).isPresent()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    RunFiles files = settings.files(runId);
    Optional<RunFiles.Workspace> recorded;
    try {
      recorded = workspaces.settle(runId, files);
    } catch (IOException e) {
      // kept, with the run's files, for a later cleanup to settle: nothing is removed unsure
      log.warn("run {}: cannot settle its workspace: {}", runId, e.toString());
      return CompletableFuture.completedFuture(
          Optional.of(
              new TaskFailure(
                  FailureReason.CLEANUP,
                  null,
                  "cannot settle the workspace of run " + runId + ": " + e,
                  e)));
    }
    if (recorded.isEmpty()) {
      // the run never had a workspace: nothing was prepared, so nothing is torn down
      deleteQuietly(files);
      return CompletableFuture.completedFuture(Optional.empty());
    }
    RunFiles.Workspace workspace = recorded.get();
    // The run's log is opened again only for a teardown's output: its buffers cost every run.
    TaskLog output = null;
    CompletableFuture<Optional<TaskFailure>> teardown =
        CompletableFuture.completedFuture(Optional.empty());
    if (settings.teardownCommand().isPresent() && !files.isTornDown()) {
      output = TaskLog.open(settings.taskLogDir(), runId, redactor);
      teardown =
          Teardown.run(
              settings.teardownCommand().get(),
              Files.isDirectory(workspace.path()) ? workspace.path() : settings.taskLogDir(),
              AgentEnvironment.teardown(settings.hookHost(), workspace.path(), runId),
              settings.runAs(),
              settings.teardownTimeout(),
              settings.drain(),
              output,
              executor);
    }
    TaskLog teardownOutput = output;
    return teardown.thenApplyAsync(
        failure -> {
          try (var ignored = MDC.putCloseable("task", runId)) {
            markTornDown(files);
            if (!settings.cleanup()) {
              keep(workspace, files);
            }
            Optional<TaskFailure> removal = remove(workspace);
            if (teardownOutput != null) {
              teardownOutput.close();
            }
            deleteQuietly(files);
            failure.ifPresent(f -> log.warn("run {}: {}", runId, f));
            return failure.or(() -> removal);
          }
        },
        executor);
  }

  /** Tries again to remove the workspaces whose removal failed; they were torn down already. */
  void retryRemovals() {
    for (RunFiles.Workspace workspace : Set.copyOf(unremoved)) {
      remove(workspace);
    }
  }

  private Optional<TaskFailure> remove(RunFiles.Workspace workspace) {
    if (!workspace.created()) {
      return Optional.empty();
    }
    if (!settings.cleanup()) {
      log.info("cleanup is off: keeping workspace {}", workspace.path());
      return Optional.empty();
    }
    try {
      workspaces.remove(workspace);
      unremoved.remove(workspace);
      return Optional.empty();
    } catch (IOException e) {
      unremoved.add(workspace);
      log.warn("failed to remove workspace {}: {}", workspace.path(), e.toString());
      return Optional.of(
          new TaskFailure(
              FailureReason.CLEANUP,
              null,
              "failed to remove workspace " + workspace.path() + ": " + e,
              e));
    }
  }

  private static void keep(RunFiles.Workspace workspace, RunFiles files) {
    try {
      Workspaces.keep(workspace, files);
    } catch (IOException e) {
      // the next execution of the run then refuses the workspace, naming it for removal
      log.warn("cannot record that workspace {} is kept: {}", workspace.path(), e.toString());
    }
  }

  private static void markTornDown(RunFiles files) {
    try {
      files.markTornDown();
    } catch (IOException e) {
      log.warn("cannot record that {} was torn down: {}", files.dir(), e.toString());
    }
  }

  static void deleteQuietly(RunFiles files) {
    try {
      files.delete();
    } catch (IOException e) {
      log.warn("cannot remove {}: {}", files.dir(), e.toString());
    }
  }
}
