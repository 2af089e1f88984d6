package dev.ozworker.backend.command;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.config.GoDuration;
import dev.ozworker.observe.Redactor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of {@code cancel_command}: best effort, as in the reference. It gets the worker's and the
 * operator's environment and the run's identifiers, no stdin, and {@code dispatch_timeout} to
 * finish; its output goes to the worker's log, masked.
 */
record Cancellation(CommandSettings settings, String runId, String executionId) {
  private static final Logger log = LoggerFactory.getLogger(Cancellation.class);
  private static final int MAX_OUTPUT = 4 * 1024;

  /** Runs the command; the failure, if it failed. */
  Optional<TaskFailure> run() {
    String command = settings.cancelCommand().orElseThrow();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    ShellCommand shell;
    try {
      shell =
          ShellCommand.start(
              command,
              settings.env(
                  Map.of(
                      "OZ_RUN_ID", runId,
                      "OZ_EXECUTION_ID", executionId,
                      "OZ_WORKER_BACKEND", "command")),
              Optional.empty(),
              (bytes, offset, length) -> {
                synchronized (output) {
                  output.write(bytes, offset, Math.min(length, MAX_OUTPUT - output.size()));
                }
              });
    } catch (IOException e) {
      return failure("cannot run /bin/sh: " + e.getMessage());
    }
    log.info("run {}: cancelling with cancel_command (pid {})", runId, shell.pid());
    try {
      Optional<Integer> status = shell.waitFor(settings.dispatchTimeout());
      if (status.isEmpty()) {
        shell.kill();
      }
      shell.awaitOutput();
      String text;
      synchronized (output) {
        text =
            new Redactor(settings.ownSecretValues())
                .redact(output.toString(StandardCharsets.UTF_8));
      }
      if (!text.isBlank()) {
        log.info("run {}: cancel_command wrote: {}", runId, text.strip());
      }
      if (status.isEmpty()) {
        return failure(
            "cancel_command ran longer than backend.command.dispatch_timeout ("
                + GoDuration.format(settings.dispatchTimeout())
                + ") and was killed");
      }
      return status.get() == 0
          ? Optional.empty()
          : failure("cancel_command exited with status " + status.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      shell.kill();
      return failure("cancel_command was interrupted");
    }
  }

  private Optional<TaskFailure> failure(String why) {
    return Optional.of(
        new TaskFailure(
            FailureReason.CANCEL_COMMAND, "run " + runId + ": the cancellation failed: " + why));
  }
}
