package dev.ozworker.backend.command;

import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.config.ApiKey;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.CommandBackendConfig;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.task.TaskSpec;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each task to the operator's {@code dispatch_command}, which passes it on to a runtime of
 * its own (docs/protocol.md, "Command"; docs/adr/0016-command-backend.md). Exit 0 means the runtime
 * took the task: the run ends as {@link dev.ozworker.backend.TaskOutcome.Dispatched}, the slot is
 * free, and the agent reports to Oz itself. A cancellation runs {@code cancel_command}.
 */
public final class CommandBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(CommandBackend.class);

  /** Executions of handed-off runs kept for their cancellation; the oldest are forgotten first. */
  static final int REMEMBERED_EXECUTIONS = 4096;

  private final CommandSettings settings;
  private final Map<String, Dispatch> live = new ConcurrentHashMap<>();
  private final Map<String, String> executions =
      Collections.synchronizedMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
              return size() > REMEMBERED_EXECUTIONS;
            }
          });
  private volatile Consumer<TaskFailure> failures = failure -> {};
  private volatile boolean closed;

  CommandBackend(CommandSettings settings) {
    this.settings = settings;
  }

  /** The backend for a worker configured with {@code backend.command}, in the worker's env. */
  public static CommandBackend create(WorkerConfig config) throws ConfigException {
    return create(config, System.getenv());
  }

  /**
   * @param host the worker's environment, which both commands inherit
   * @throws ConfigException when {@code dispatch_command} is not set
   */
  public static CommandBackend create(WorkerConfig config, Map<String, String> host)
      throws ConfigException {
    if (!(config.backend() instanceof CommandBackendConfig command)) {
      throw new ConfigException(
          "the worker is configured for the " + config.backend().kind() + " backend, not command");
    }
    String dispatch =
        command
            .dispatchCommand()
            .orElseThrow(
                () ->
                    new ConfigException(
                        "backend.command.dispatch_command is required: set the shell command that"
                            + " hands a task to your runtime (see examples/command-backend/)"));
    return new CommandBackend(
        new CommandSettings(
            dispatch,
            command.cancelCommand(),
            command.dispatchTimeout(),
            command.environment(),
            host,
            config.serverRootUrl().map(URI::toString).orElse(""),
            config.workerId(),
            config.taskLogDir(),
            Optional.ofNullable(config.apiKey()).map(ApiKey::value)));
  }

  @Override
  public BackendKind kind() {
    return BackendKind.COMMAND;
  }

  @Override
  public void reportFailuresTo(Consumer<TaskFailure> sink) {
    failures = sink;
  }

  @Override
  public BackendRef start(TaskSpec spec, TaskListener listener) throws TaskFailure {
    if (closed) {
      throw new TaskFailure(FailureReason.UNKNOWN, "the command backend is shut down");
    }
    String runId = spec.runId();
    spec.executionId().ifPresent(execution -> executions.put(runId, execution));
    Dispatch dispatch = new Dispatch(spec, settings, listener, done -> live.remove(runId, done));
    live.put(runId, dispatch);
    Thread.ofPlatform().daemon().name("command-dispatch-" + runId).start(dispatch::run);
    return BackendRef.planned(kind().configName(), runId);
  }

  /**
   * A dispatch the previous worker began cannot be followed: its command's stdin and exit status
   * died with it. Whether the runtime took the task is unknown, so the task fails as a dispatch
   * that did not complete.
   */
  @Override
  public void reattach(TaskSpec spec, BackendRef ref, TaskListener listener) throws TaskFailure {
    throw new TaskFailure(
        FailureReason.DISPATCH_COMMAND,
        "the worker restarted while dispatch_command ran for run "
            + ref.runId()
            + "; whether it handed the task off is unknown");
  }

  @Override
  public void cancel(BackendRef ref, Duration grace) {
    String runId = ref.runId();
    Dispatch dispatch = live.get(runId);
    if (dispatch != null) {
      dispatch.cancel();
    }
    Optional<String> cancel = settings.cancelCommand();
    if (cancel.isEmpty()) {
      log.info("run {}: no cancel_command is configured; the cancellation is not passed on", runId);
      return;
    }
    String execution = Optional.ofNullable(executions.remove(runId)).orElse("");
    Thread.ofVirtual()
        .name("command-cancel-" + runId)
        .start(() -> new Cancellation(settings, runId, execution).run().ifPresent(this::failed));
  }

  private void failed(TaskFailure failure) {
    log.warn("{}", failure.getMessage());
    failures.accept(failure);
  }

  /** Nothing of a handed-off run is here to remove. */
  @Override
  public CompletionStage<Optional<TaskFailure>> cleanup(BackendRef ref) {
    return CompletableFuture.completedFuture(Optional.empty());
  }

  /** Dispatch commands still running are killed: their task is failed by the next worker. */
  @Override
  public void close() {
    closed = true;
    live.values().forEach(Dispatch::abandon);
    live.clear();
  }
}
