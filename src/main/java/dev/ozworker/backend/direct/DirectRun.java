package dev.ozworker.backend.direct;

import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.BackendKind;
import dev.ozworker.task.TaskSpec;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One run this worker process follows: setup, then the agent, then one outcome for the listener.
 * Each step is chained on its process's {@link Process#onExit()}; no thread waits for a process.
 * The current step's process group is what {@link #cancel} signals, so a cancel during setup stops
 * setup and the agent never starts.
 */
final class DirectRun {
  private static final Logger log = LoggerFactory.getLogger(DirectRun.class);
  private static final File NOWHERE = new File("/dev/null");

  private final TaskSpec spec;
  private final RunFiles files;
  private final RunFiles.Workspace workspace;
  private final DirectSettings settings;
  private final AgentEnvironment env;
  private final TaskLog output;
  private final TaskListener listener;
  private final Executor executor;
  private final SpareFifos spares;
  private final Consumer<Collection<String>> alsoSecret;
  private final Consumer<DirectRun> onEnd;
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile boolean detached;
  private volatile Long processId;
  private volatile AgentOutput agentOutput;
  private boolean cancelled;
  private Duration grace = Duration.ZERO;
  private ProcessGroup group;
  private CompletableFuture<Void> news = CompletableFuture.completedFuture(null);

  /** The agent was not started because the run was cancelled first. */
  private static final class CancelledEarly extends RuntimeException {
    CancelledEarly() {
      super("cancelled before the agent started", null, false, false);
    }
  }

  DirectRun(
      TaskSpec spec,
      RunFiles files,
      RunFiles.Workspace workspace,
      DirectSettings settings,
      TaskLog output,
      TaskListener listener,
      Executor executor,
      SpareFifos spares,
      Consumer<Collection<String>> alsoSecret,
      Consumer<DirectRun> onEnd) {
    this.spec = spec;
    this.files = files;
    this.workspace = workspace;
    this.settings = settings;
    this.output = output;
    this.listener = listener;
    this.executor = executor;
    this.spares = spares;
    this.alsoSecret = alsoSecret;
    this.onEnd = onEnd;
    this.env =
        new AgentEnvironment(
            settings.hookHost(),
            spec.env(),
            settings.environment(),
            spec.harness(),
            workspace.path(),
            files.gitConfigFor(workspace),
            spec.runId());
  }

  String runId() {
    return spec.runId();
  }

  /** The agent's process id once it started. */
  Optional<Long> processId() {
    return Optional.ofNullable(processId);
  }

  /**
   * Runs setup and then the agent. Without a setup command the agent is started before this
   * returns, so its pid is known at once.
   */
  void begin() {
    CompletableFuture<Map<String, String>> prepared;
    try {
      prepared = setup();
    } catch (TaskFailure failure) {
      prepared = CompletableFuture.failedFuture(failure);
    }
    prepared.thenCompose(this::runAgent).whenComplete((code, error) -> end(code, error));
  }

  /** Follows an agent a previous worker process started; it is alive and verified. */
  void adopt(ProcessHandle wrapper) {
    processId = wrapper.pid();
    useGroup(new ProcessGroup(wrapper.pid()));
    tell(listener::running);
    try {
      readOutput();
    } catch (IOException e) {
      output.line("[worker] the agent's output cannot be read: " + e);
    }
    // An earlier worker's wrapper may not end its own group: the group is killed from here.
    afterAgent(wrapper.onExit(), () -> files.exitStatus().orElse(null), () -> true)
        .whenComplete((code, error) -> end(code, error));
  }

  /** SIGTERM to the current step's group now, SIGKILL after {@code grace}. */
  void cancel(Duration grace) {
    ProcessGroup current;
    synchronized (this) {
      if (ended.get() || cancelled) {
        return;
      }
      cancelled = true;
      this.grace = grace;
      current = group;
    }
    note("cancelling run {}: SIGTERM to its process group, SIGKILL after {}", grace);
    if (current != null) {
      current.stop(grace);
    }
  }

  /** A run of an earlier worker process that ended meanwhile, with the status it left. */
  void report(int code) {
    CompletableFuture.runAsync(() -> end(code, null), executor);
  }

  /** Stops following the run: the listener hears nothing more; the processes are left alone. */
  void detach() {
    detached = true;
    stopReading();
    output.close();
  }

  private CompletableFuture<Map<String, String>> setup() throws TaskFailure {
    Optional<String> command = settings.setupCommand();
    if (command.isEmpty()) {
      return CompletableFuture.completedFuture(Map.of());
    }
    return SetupCommand.run(
            command.get(),
            workspace.path(),
            env,
            output,
            settings.drain(),
            executor,
            settings.runAs(),
            this::useSetupGroup)
        .thenApply(
            fromSetup -> {
              maskFromSetup(fromSetup);
              if (isCancelled()) {
                throw new CancelledEarly();
              }
              return fromSetup;
            });
  }

  /**
   * What setup wrote for the agent is as secret as the task's Secret (a token setup fetched, say):
   * every value it adds or changes is masked from now on, in this log and in teardown's, and kept
   * in the run's files so that a restarted worker masks it too.
   */
  private void maskFromSetup(Map<String, String> fromSetup) {
    Map<String, String> before = env.agent(Map.of());
    List<String> added =
        fromSetup.entrySet().stream()
            .filter(entry -> !entry.getValue().equals(before.get(entry.getKey())))
            .map(Map.Entry::getValue)
            .toList();
    if (added.isEmpty()) {
      return;
    }
    output.mask(added);
    alsoSecret.accept(added);
    try {
      files.recordMasks(added);
    } catch (IOException e) {
      note("run {}: cannot keep setup's values to mask after a restart: {}", e.getMessage());
    }
  }

  private CompletableFuture<Integer> runAgent(Map<String, String> fromSetup) {
    if (isCancelled()) {
      throw new CancelledEarly();
    }
    Process process;
    try {
      spares.place(files.output());
      // read from before the spawn: an agent may print and exit before the next line runs
      readOutput();
      McpConfigFiles mcp = McpConfigFiles.write(spec.ozArgs(), files, settings.runAs());
      List<String> before = new ArrayList<>(mcp.opener());
      settings.runAs().ifPresent(runAs -> before.addAll(runAs.prefix()));
      process =
          ProcessGroup.start(
              AgentProcess.command(before, settings.oz(), mcp.args(), files),
              workspace.path(),
              env.agent(fromSetup),
              NOWHERE);
    } catch (IOException e) {
      stopReading();
      throw new CompletionException(
          new TaskFailure(
              FailureReason.AGENT_INVOCATION, null, "the oz CLI could not start: " + e, e));
    }
    processId = process.pid();
    spares.restockLater();
    useGroup(new ProcessGroup(process.pid()));
    note("run {}: agent started as process {}", process.pid());
    // started after setup, so start() returned without the pid: the status should show it
    BackendRef where =
        new BackendRef(
            BackendKind.DIRECT.configName(),
            runId(),
            null,
            process.pid(),
            workspace.path().toString(),
            null);
    tell(() -> listener.located(where));
    tell(listener::running);
    return afterAgent(
        process.onExit(),
        () -> files.exitStatus().orElseGet(process::exitValue),
        () -> !AgentProcess.endedOwnGroup(process.exitValue(), files));
  }

  /** Opens the run's output FIFO and starts copying it into the log. */
  private void readOutput() throws IOException {
    agentOutput = AgentOutput.open(files.output(), output, "output-" + runId(), () -> !detached);
    if (detached) {
      stopReading();
    }
  }

  private void stopReading() {
    AgentOutput reading = agentOutput;
    if (reading != null) {
      reading.close();
    }
  }

  /**
   * Once the agent's wrapper has ended: nothing the agent left running outlives it (its workspace
   * is about to be torn down; killed first, so that those processes let go of the output), then the
   * agent's status, once its output is read to the end within the drain time. A wrapper that ended
   * normally killed its group itself ({@link AgentProcess}); otherwise {@code groupLeft} says so
   * and the group is killed from here.
   */
  private CompletableFuture<Integer> afterAgent(
      CompletableFuture<?> wrapperExit, Supplier<Integer> status, BooleanSupplier groupLeft) {
    return wrapperExit
        .thenApplyAsync(
            exited -> {
              ProcessGroup current;
              synchronized (this) {
                current = group;
              }
              if (current != null && groupLeft.getAsBoolean()) {
                current.killRemaining();
              }
              return status.get();
            },
            executor)
        .thenCompose(
            code -> {
              AgentOutput reading = agentOutput;
              return reading == null
                  ? CompletableFuture.completedFuture(code)
                  : reading.drain(settings.drain(), output).thenApply(drained -> code);
            });
  }

  private void end(Integer code, Throwable error) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    output.close();
    TaskOutcome outcome = ExitStatus.outcome(code, error, isCancelled(), output.tail());
    note("run {} ended: {}", describe(outcome));
    onEnd.accept(this);
    tell(() -> listener.finished(outcome));
  }

  /** Setup's group: remembered on disk too, so a restarted worker can stop an orphaned setup. */
  private void useSetupGroup(ProcessGroup setup) {
    try {
      files.recordSetup(setup.id());
    } catch (IOException e) {
      note("run {}: cannot record the setup's process group: {}", e.getMessage());
    }
    useGroup(setup);
  }

  private void useGroup(ProcessGroup next) {
    Duration stopWithin;
    synchronized (this) {
      group = next;
      if (!cancelled) {
        return;
      }
      stopWithin = grace;
    }
    next.stop(stopWithin);
  }

  private synchronized boolean isCancelled() {
    return cancelled;
  }

  /** Tells the listener in order, from the backend's threads, never once the run is detached. */
  private synchronized void tell(Runnable news) {
    try {
      this.news =
          this.news.thenRunAsync(
              () -> {
                if (!detached) {
                  news.run();
                }
              },
              executor);
    } catch (RejectedExecutionException e) {
      // the backend is closed: nobody listens any more
    }
  }

  private void note(String message, Object argument) {
    try (var ignored = MDC.putCloseable("task", spec.runId())) {
      log.info(message, spec.runId(), argument);
    }
  }

  private static String describe(TaskOutcome outcome) {
    return switch (outcome) {
      case TaskOutcome.Succeeded succeeded -> "succeeded";
      case TaskOutcome.Cancelled cancelled -> "cancelled";
      case TaskOutcome.Dispatched dispatched -> "handed off";
      case TaskOutcome.Failed failed -> failed.failure().toString();
    };
  }
}
