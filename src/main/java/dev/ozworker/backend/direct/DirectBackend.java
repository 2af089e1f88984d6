package dev.ozworker.backend.direct;

import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.config.ApiKey;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.DirectBackendConfig;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.observe.Redactor;
import dev.ozworker.task.TaskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the Oz CLI as a process beside the worker (docs/protocol.md, "Direct"): a workspace per run,
 * {@code setup_command}, the agent in a process group of its own, {@code teardown_command} once per
 * run, then the workspace's removal. What a restarted worker needs to find a run again is kept in
 * {@link RunFiles}; see docs/adr/0007-direct-backend.md.
 */
public final class DirectBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(DirectBackend.class);

  /** Between SIGTERM and SIGKILL for a setup the previous worker left running. */
  static final Duration ORPHANED_SETUP_GRACE = Duration.ofSeconds(5);

  private final DirectSettings settings;
  private final Workspaces workspaces;

  /** Short steps between processes (signals, files, news); no thread here waits for a run. */
  private final ExecutorService executor =
      Executors.newCachedThreadPool(
          Thread.ofPlatform().daemon().name("direct-backend-", 0).factory());

  private final Map<String, DirectRun> live = new ConcurrentHashMap<>();
  private final Map<String, Redactor> redactors = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Optional<TaskFailure>>> cleanups =
      new ConcurrentHashMap<>();
  private final RunCleanup runCleanup;
  private final SpareFifos spares;
  private volatile boolean closed;

  DirectBackend(DirectSettings settings) {
    this.settings = settings;
    this.workspaces =
        new Workspaces(settings.config().workspaceRoot(), settings.config().targetDir());
    this.runCleanup = new RunCleanup(settings, workspaces, executor);
    this.spares = SpareFifos.open(settings.taskLogDir(), executor);
  }

  /** The backend for a worker configured with {@code backend.direct}, in the worker's env. */
  public static DirectBackend create(WorkerConfig config) throws ConfigException {
    return create(config, System.getenv());
  }

  /**
   * @param host the worker's environment: setup and teardown inherit it; the agent only its HOME,
   *     TMPDIR and PATH
   * @throws ConfigException when the Oz CLI or {@code target_dir} cannot be found
   */
  public static DirectBackend create(WorkerConfig config, Map<String, String> host)
      throws ConfigException {
    if (!(config.backend() instanceof DirectBackendConfig direct)) {
      throw new ConfigException(
          "the worker is configured for the " + config.backend().kind() + " backend, not direct");
    }
    Path oz = OzCli.locate(direct.ozPath(), host);
    if (direct.runAsUid().isPresent() && direct.targetDir().isPresent()) {
      throw new ConfigException(
          "backend.direct.run_as_uid needs a workspace per task, which it gives to that uid;"
              + " with target_dir every task shares one directory: remove one of the two");
    }
    if (direct.runAsUid().isEmpty() && direct.runAsGid().isPresent()) {
      throw new ConfigException(
          "backend.direct.run_as_gid is set without run_as_uid: set run_as_uid too, or remove it");
    }
    if (direct.targetDir().isPresent() && !Files.isDirectory(direct.targetDir().get())) {
      throw new ConfigException(
          "backend.direct.target_dir "
              + direct.targetDir().get()
              + " is not a directory: create it or remove the setting");
    }
    return new DirectBackend(
        new DirectSettings(
            oz,
            direct,
            host,
            config.cleanup(),
            config.taskLogDir(),
            DirectSettings.DEFAULT_DRAIN,
            Optional.ofNullable(config.apiKey()).map(ApiKey::value),
            config.agentOutputToWorkerLog()));
  }

  @Override
  public BackendKind kind() {
    return BackendKind.DIRECT;
  }

  @Override
  public BackendRef start(TaskSpec spec, TaskListener listener) throws TaskFailure {
    if (closed) {
      throw new TaskFailure(FailureReason.UNKNOWN, "the direct backend is shut down");
    }
    String runId = spec.runId();
    Optional<TaskFailure> invalid = Workspaces.invalid(runId);
    if (invalid.isPresent()) {
      throw invalid.get();
    }
    RunFiles files = settings.files(runId);
    try {
      // A worker killed while it made this run's workspace, before the start was recorded on the
      // task, left a record of what it made: removed here, before the record is started afresh.
      Optional<RunFiles.Workspace> left = workspaces.settle(runId, files);
      if (left.isPresent()) {
        workspaces.remove(left.get());
      }
      files.create();
    } catch (IOException e) {
      throw new TaskFailure(
          FailureReason.WORKSPACE_SETUP,
          null,
          "cannot record the run in " + files.dir() + ": " + e,
          e);
    }
    // Recorded in the run's files before anything is made, so a worker killed while it makes the
    // workspace leaves its successor a record of exactly what to remove.
    RunFiles.Workspace workspace = workspaces.prepare(runId, files);
    giveToRun(workspace);
    cleanups.remove(runId);
    DirectRun run = follow(spec, files, workspace, listener);
    live.put(runId, run);
    run.begin();
    return new BackendRef(
        kind().configName(),
        runId,
        null,
        run.processId().orElse(null),
        workspace.path().toString(),
        null);
  }

  @Override
  public void reattach(TaskSpec spec, BackendRef ref, TaskListener listener) throws TaskFailure {
    String runId = ref.runId();
    Optional<TaskFailure> invalid = Workspaces.invalid(runId);
    if (invalid.isPresent()) {
      throw invalid.get();
    }
    RunFiles files = settings.files(runId);
    RunFiles.Workspace workspace =
        settleQuietly(runId, files)
            .orElseThrow(
                () ->
                    new TaskFailure(
                        FailureReason.WORKSPACE_SETUP,
                        "the worker restarted before run " + runId + " had a workspace"));
    Optional<Long> pid = Optional.ofNullable(ref.processId()).or(files::processId);
    Optional<ProcessHandle> wrapper =
        pid.filter(id -> AgentProcess.isWrapperOf(id, files)).flatMap(ProcessHandle::of);
    Optional<Integer> status = files.exitStatus();
    if (wrapper.isEmpty() && status.isEmpty()) {
      if (pid.isEmpty()) {
        stopOrphanedSetup(files, runId);
      }
      throw pid.isEmpty()
          ? new TaskFailure(
              settings.setupCommand().isPresent()
                  ? FailureReason.SETUP_COMMAND
                  : FailureReason.AGENT_INVOCATION,
              "the worker restarted while run "
                  + runId
                  + " was being prepared; its agent never"
                  + " started")
          : new TaskFailure(
              FailureReason.AGENT_INVOCATION,
              "the worker restarted and the agent's exit status was lost: process "
                  + pid.get()
                  + " is gone and left no status");
    }
    DirectRun run = follow(spec, files, workspace, listener);
    if (wrapper.isPresent()) {
      live.put(runId, run);
      run.adopt(wrapper.get());
    } else {
      run.report(status.get());
    }
  }

  /** A workspace made for the run belongs to the uid the run takes, so that it can work there. */
  private void giveToRun(RunFiles.Workspace workspace) throws TaskFailure {
    Optional<RunAs> runAs = settings.runAs();
    if (runAs.isEmpty() || !workspace.created()) {
      return;
    }
    try {
      runAs.get().own(workspace.path());
    } catch (IOException e) {
      throw new TaskFailure(
          FailureReason.WORKSPACE_SETUP,
          null,
          "cannot give workspace "
              + workspace.path()
              + " to uid "
              + runAs.get().uid()
              + " (backend.direct.run_as_uid; the worker needs CAP_CHOWN): "
              + e,
          e);
    }
  }

  /**
   * The worker died while setup ran: that setup now runs for nobody, so its group is stopped before
   * the run is failed and torn down (teardown may well remove what setup is writing).
   */
  private void stopOrphanedSetup(RunFiles files, String runId) {
    // A worker killed between starting setup and recording its group left no pid: the setup's
    // environment still names the run, so its group is found by that.
    List<Long> groups =
        files
            .setupProcessId()
            .filter(id -> SetupCommand.isSetupOf(id, runId))
            .map(List::of)
            .orElseGet(() -> SetupCommand.groupsOf(runId));
    for (long id : groups) {
      log.info("run {}: stopping setup process group {} left by the previous worker", runId, id);
      new ProcessGroup(id).stop(ORPHANED_SETUP_GRACE);
    }
  }

  @Override
  public void cancel(BackendRef ref, Duration grace) {
    DirectRun run = live.get(ref.runId());
    if (run != null) {
      run.cancel(grace);
      return;
    }
    // not followed by this process: stop it only when it is verifiably this run's agent
    if (Workspaces.invalid(ref.runId()).isEmpty()) {
      RunFiles files = settings.files(ref.runId());
      Optional.ofNullable(ref.processId())
          .or(files::processId)
          .filter(pid -> AgentProcess.isWrapperOf(pid, files))
          .ifPresent(pid -> new ProcessGroup(pid).stop(grace));
    }
  }

  @Override
  public CompletionStage<Optional<TaskFailure>> cleanup(BackendRef ref) {
    if (closed) {
      return CompletableFuture.completedFuture(
          Optional.of(
              new TaskFailure(
                  FailureReason.CLEANUP, "the direct backend was shut down before the cleanup")));
    }
    return cleanups.computeIfAbsent(
        ref.runId(),
        runId ->
            CompletableFuture.supplyAsync(
                    () ->
                        runCleanup.run(
                            runId, redactors.getOrDefault(runId, baseRedactor(runId, Set.of()))),
                    executor)
                .thenCompose(done -> done)
                .exceptionally(
                    error ->
                        Optional.of(
                            new TaskFailure(
                                FailureReason.CLEANUP,
                                null,
                                "the cleanup of run " + runId + " failed: " + error,
                                error)))
                .whenComplete((result, error) -> redactors.remove(runId)));
  }

  /**
   * Stops following runs (their agents keep running for a restarted worker to reattach to) and
   * retries removing the workspaces whose run was torn down but whose removal failed. It removes
   * nothing a run may still need, and nothing this backend did not create.
   */
  @Override
  public void close() {
    closed = true;
    live.values().forEach(DirectRun::detach);
    live.clear();
    runCleanup.retryRemovals();
    spares.close();
    executor.shutdown();
  }

  /**
   * What a run's output is masked with: the task's secrets, the worker's own, and what setup wrote
   * for the agent (recorded in the run's files, so also after a restart).
   */
  private Redactor baseRedactor(String runId, Set<String> taskSecrets) {
    Set<String> values = new LinkedHashSet<>(taskSecrets);
    values.addAll(settings.ownSecretValues());
    if (Workspaces.invalid(runId).isEmpty()) {
      values.addAll(settings.files(runId).masksRecorded());
    }
    return new Redactor(values);
  }

  private DirectRun follow(
      TaskSpec spec, RunFiles files, RunFiles.Workspace workspace, TaskListener listener) {
    String runId = spec.runId();
    Redactor redactor = baseRedactor(runId, spec.env().secretValues());
    redactors.put(runId, redactor);
    TaskLog output =
        TaskLog.open(settings.taskLogDir(), runId, redactor, settings.outputToWorkerLog());
    return new DirectRun(
        spec,
        files,
        workspace,
        settings,
        output,
        listener,
        executor,
        spares,
        values -> redactors.computeIfPresent(runId, (id, current) -> current.with(values)),
        run -> live.remove(run.runId(), run));
  }

  /** The run's workspace, once what a killed worker left of its making is settled. */
  private Optional<RunFiles.Workspace> settleQuietly(String runId, RunFiles files) {
    try {
      return workspaces.settle(runId, files);
    } catch (IOException e) {
      log.warn("run {}: cannot settle its workspace: {}", runId, e.toString());
      return files.workspace();
    }
  }
}
