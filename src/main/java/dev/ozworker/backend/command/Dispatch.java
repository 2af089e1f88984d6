package dev.ozworker.backend.command;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.GoDuration;
import dev.ozworker.observe.Redactor;
import dev.ozworker.task.TaskSpec;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task's dispatch: {@code dispatch_command} with the payload on stdin, its output masked into
 * the run's log, its exit status (or its {@code dispatch_timeout}) the run's outcome.
 */
final class Dispatch {
  private static final Logger log = LoggerFactory.getLogger(Dispatch.class);

  private final TaskSpec spec;
  private final CommandSettings settings;
  private final TaskListener listener;
  private final Consumer<Dispatch> over;
  private final Object lock = new Object();
  private ShellCommand command;
  private Stop stop = Stop.NONE;

  private enum Stop {
    NONE,
    CANCEL,
    ABANDON
  }

  Dispatch(
      TaskSpec spec, CommandSettings settings, TaskListener listener, Consumer<Dispatch> over) {
    this.spec = spec;
    this.settings = settings;
    this.listener = listener;
    this.over = over;
  }

  /** The process environment: no task variable, only the reference's fixed identifiers. */
  static Map<String, String> fixedEnv(TaskSpec spec, CommandSettings settings) {
    return Map.of(
        "OZ_RUN_ID", spec.runId(),
        "OZ_EXECUTION_ID", spec.executionId().orElse(""),
        "OZ_WORKER_BACKEND", "command",
        "OZ_SERVER_ROOT_URL", settings.serverRootUrl(),
        "OZ_DOCKER_IMAGE", spec.image());
  }

  void run() {
    Set<String> secrets = new LinkedHashSet<>(spec.env().secretValues());
    secrets.addAll(settings.ownSecretValues());
    TaskOutcome outcome;
    try (TaskLog output =
        TaskLog.open(settings.taskLogDir(), spec.runId(), new Redactor(secrets))) {
      outcome = dispatch(output);
      output.close();
      outcome = withTail(outcome, output.tail());
    }
    over.accept(this);
    log.info("run {}: {}", spec.runId(), describe(outcome));
    listener.finished(outcome);
  }

  private TaskOutcome dispatch(TaskLog output) {
    byte[] payload =
        DispatchPayload.bytes(
            DispatchPayload.of(spec, settings.serverRootUrl(), settings.workerId()));
    synchronized (lock) {
      if (stop != Stop.NONE) {
        return new TaskOutcome.Cancelled("");
      }
      try {
        command =
            ShellCommand.start(
                settings.dispatchCommand(),
                settings.env(fixedEnv(spec, settings)),
                Optional.of(payload),
                output::write);
      } catch (IOException e) {
        return failed(
            FailureReason.DISPATCH_COMMAND, null, "cannot run /bin/sh: " + e.getMessage());
      }
    }
    log.info("run {}: dispatching with dispatch_command (pid {})", spec.runId(), command.pid());
    listener.running();
    try {
      Optional<Integer> status = command.waitFor(settings.dispatchTimeout());
      if (status.isEmpty()) {
        command.kill();
        command.awaitOutput();
        return stopped()
            .orElseGet(
                () ->
                    failed(
                        FailureReason.DISPATCH_TIMEOUT,
                        null,
                        "dispatch_command ran longer than backend.command.dispatch_timeout ("
                            + GoDuration.format(settings.dispatchTimeout())
                            + ") and was killed"));
      }
      command.awaitOutput();
      if (stopped().isPresent()) {
        return stopped().get();
      }
      return status.get() == 0
          ? new TaskOutcome.Dispatched("")
          : failed(
              FailureReason.DISPATCH_COMMAND,
              status.get(),
              "dispatch_command exited with status " + status.get() + "; see the task's log");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      command.kill();
      return new TaskOutcome.Cancelled("");
    }
  }

  /** Kills the dispatch command: the task is cancelled. */
  void cancel() {
    stopWith(Stop.CANCEL);
  }

  /** Kills the dispatch command as the worker shuts down; nobody hears of the outcome. */
  void abandon() {
    stopWith(Stop.ABANDON);
  }

  private void stopWith(Stop how) {
    synchronized (lock) {
      if (stop == Stop.NONE) {
        stop = how;
      }
      if (command != null) {
        command.kill();
      }
    }
  }

  private Optional<TaskOutcome> stopped() {
    synchronized (lock) {
      return stop == Stop.NONE ? Optional.empty() : Optional.of(new TaskOutcome.Cancelled(""));
    }
  }

  private static TaskOutcome failed(FailureReason reason, Integer exitCode, String message) {
    return new TaskOutcome.Failed(new TaskFailure(reason, exitCode, message, null), "");
  }

  private static TaskOutcome withTail(TaskOutcome outcome, String tail) {
    return switch (outcome) {
      case TaskOutcome.Succeeded s -> new TaskOutcome.Succeeded(tail);
      case TaskOutcome.Dispatched d -> new TaskOutcome.Dispatched(tail);
      case TaskOutcome.Failed f -> new TaskOutcome.Failed(f.failure(), tail);
      case TaskOutcome.Cancelled c -> new TaskOutcome.Cancelled(tail);
    };
  }

  private static String describe(TaskOutcome outcome) {
    return switch (outcome) {
      case TaskOutcome.Dispatched d -> "handed off: dispatch_command exited 0";
      case TaskOutcome.Failed f -> "dispatch failed: " + f.failure();
      case TaskOutcome.Cancelled c -> "dispatch stopped";
      case TaskOutcome.Succeeded s -> "finished";
    };
  }
}
