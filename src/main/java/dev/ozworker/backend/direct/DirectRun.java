package dev.ozworker.backend.direct;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.task.TaskSpec;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
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
  private final Consumer<DirectRun> onEnd;
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile boolean detached;
  private volatile Long processId;
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
      Consumer<DirectRun> onEnd) {
    this.spec = spec;
    this.files = files;
    this.workspace = workspace;
    this.settings = settings;
    this.output = output;
    this.listener = listener;
    this.executor = executor;
    this.onEnd = onEnd;
    this.env =
        new AgentEnvironment(
            settings.host(),
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
    prepared
        .thenCompose(this::runAgent)
        .whenComplete((code, error) -> end(code, error, this::lostStatus));
  }

  /** Follows an agent a previous worker process started; it is alive and verified. */
  void adopt(ProcessHandle wrapper) {
    processId = wrapper.pid();
    useGroup(new ProcessGroup(wrapper.pid()));
    tell(listener::running);
    CompletableFuture<Void> pump =
        OutputPump.copyFifo(files.output(), output, "output-" + runId(), () -> !detached);
    wrapper
        .onExit()
        .thenApplyAsync(
            exited -> {
              afterAgent();
              return files.exitStatus().orElse(null);
            },
            executor)
        .thenCompose(code -> OutputPump.drained(pump, settings.drain()).thenApply(x -> code))
        .whenComplete((code, error) -> end(code, error, this::lostStatus));
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
      stop(current, grace);
    }
  }

  /** A run of an earlier worker process that ended meanwhile, with the status it left. */
  void report(int code) {
    CompletableFuture.runAsync(() -> end(code, null, this::lostStatus), executor);
  }

  /** Stops following the run: the listener hears nothing more; the processes are left alone. */
  void detach() {
    detached = true;
    output.close();
  }

  private CompletableFuture<Map<String, String>> setup() throws TaskFailure {
    Optional<String> command = settings.setupCommand();
    if (command.isEmpty()) {
      return CompletableFuture.completedFuture(Map.of());
    }
    Path envFile;
    try {
      envFile = Files.createTempFile(workspace.path(), "oz-env-", "");
    } catch (IOException e) {
      throw new TaskFailure(
          FailureReason.WORKSPACE_SETUP, null, "failed to create environment file: " + e, e);
    }
    Map<String, String> setupEnv = env.setup(envFile);
    Process process;
    try {
      process =
          ProcessGroup.start(
              List.of("/bin/sh", "-c", command.get()), workspace.path(), setupEnv, null);
    } catch (IOException e) {
      throw new TaskFailure(
          FailureReason.SETUP_COMMAND, null, "setup command could not start: " + e, e);
    }
    useGroup(new ProcessGroup(process.pid()));
    CompletableFuture<Void> pump =
        OutputPump.copy(process.getInputStream(), output, "setup-" + runId());
    return process
        .onExit()
        .thenCompose(exited -> OutputPump.drained(pump, settings.drain()))
        .thenApplyAsync(drained -> afterSetup(process.exitValue(), envFile, setupEnv), executor);
  }

  private Map<String, String> afterSetup(int code, Path envFile, Map<String, String> setupEnv) {
    try {
      if (isCancelled()) {
        throw new CancelledEarly();
      }
      if (code != 0) {
        throw new CompletionException(
            new TaskFailure(
                FailureReason.SETUP_COMMAND,
                "setup command failed: exit status " + code + ExitStatus.signalNote(code)));
      }
      String text = Files.readString(envFile, StandardCharsets.UTF_8);
      return DotEnv.parse(text, setupEnv::get);
    } catch (IOException e) {
      throw new CompletionException(
          new TaskFailure(
              FailureReason.SETUP_COMMAND,
              null,
              "the environment file of the setup command could not be read: " + e,
              e));
    } catch (DotEnv.InvalidDotEnvException e) {
      throw new CompletionException(
          new TaskFailure(
              FailureReason.SETUP_COMMAND,
              "the setup command wrote an environment file that is not dotenv: " + e.getMessage()));
    } finally {
      try {
        Files.deleteIfExists(envFile);
      } catch (IOException e) {
        note("could not remove the environment file of run {}: {}", e.toString());
      }
    }
  }

  private CompletableFuture<Integer> runAgent(Map<String, String> fromSetup) {
    if (isCancelled()) {
      throw new CancelledEarly();
    }
    Process process;
    try {
      AgentProcess.makeOutputFifo(files);
      process =
          ProcessGroup.start(
              AgentProcess.command(settings.oz(), spec.ozArgs(), files),
              workspace.path(),
              env.agent(fromSetup),
              NOWHERE);
    } catch (IOException e) {
      throw new CompletionException(
          new TaskFailure(
              FailureReason.AGENT_INVOCATION, null, "the oz CLI could not start: " + e, e));
    }
    processId = process.pid();
    useGroup(new ProcessGroup(process.pid()));
    note("run {}: agent started as process {}", process.pid());
    tell(listener::running);
    CompletableFuture<Void> pump =
        OutputPump.copyFifo(files.output(), output, "output-" + runId(), () -> !detached);
    return process
        .onExit()
        .thenApplyAsync(
            exited -> {
              afterAgent();
              return process.exitValue();
            },
            executor)
        .thenCompose(code -> OutputPump.drained(pump, settings.drain()).thenApply(x -> code));
  }

  /**
   * The agent's wrapper has ended: nothing the agent left running outlives it (its workspace is
   * about to be torn down), and a reader still waiting for the FIFO is let go.
   */
  private void afterAgent() {
    ProcessGroup current;
    synchronized (this) {
      current = group;
    }
    if (current != null) {
      current.kill();
    }
    AgentProcess.releaseReader(files);
  }

  private void end(Integer code, Throwable error, Function<String, TaskOutcome> lost) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    output.close();
    String tail = output.tail();
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    TaskOutcome outcome;
    if (isCancelled()) {
      outcome = new TaskOutcome.Cancelled(tail);
    } else if (cause instanceof TaskFailure failure) {
      outcome = new TaskOutcome.Failed(failure, tail);
    } else if (cause != null) {
      outcome =
          new TaskOutcome.Failed(
              new TaskFailure(
                  FailureReason.UNKNOWN, null, "the run failed unexpectedly: " + cause, cause),
              tail);
    } else if (code == null) {
      outcome = lost.apply(tail);
    } else {
      outcome = ExitStatus.outcome(code, false, tail);
    }
    note("run {} ended: {}", describe(outcome));
    onEnd.accept(this);
    tell(() -> listener.finished(outcome));
  }

  private TaskOutcome lostStatus(String tail) {
    return new TaskOutcome.Failed(
        new TaskFailure(
            FailureReason.AGENT_INVOCATION,
            "the worker restarted and the agent's exit status was lost: its wrapper left no status"
                + " file"),
        tail);
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
    stop(next, stopWithin);
  }

  /**
   * Signals on threads of their own, not the backend's executor: a stop asked for must complete
   * even when the backend is closed meanwhile.
   */
  static void stop(ProcessGroup target, Duration within) {
    Executor ownThread =
        task -> Thread.ofPlatform().daemon().name("stop-" + target.id()).start(task);
    CompletableFuture.runAsync(target::terminate, ownThread)
        .thenRunAsync(
            () -> {
              if (target.isAlive()) {
                target.kill();
              }
            },
            CompletableFuture.delayedExecutor(within.toMillis(), TimeUnit.MILLISECONDS, ownThread));
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
      case TaskOutcome.Failed failed -> failed.failure().toString();
    };
  }
}
