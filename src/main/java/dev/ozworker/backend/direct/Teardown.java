package dev.ozworker.backend.direct;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.config.GoDuration;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code teardown_command} once, in its own session, bounded by {@code teardown_timeout}: when
 * the time is up its whole process group is killed and the teardown has failed.
 */
final class Teardown {
  private Teardown() {}

  /**
   * Runs the command; completes with its failure, if any, and never exceptionally.
   *
   * @param output where its output goes, masked
   */
  static CompletableFuture<Optional<TaskFailure>> run(
      String command,
      Path directory,
      Map<String, String> environment,
      Optional<RunAs> runAs,
      Duration timeout,
      Duration drain,
      TaskLog output,
      Executor executor) {
    Process process;
    try {
      List<String> shell = List.of("/bin/sh", "-c", command);
      process =
          ProcessGroup.start(
              runAs.map(as -> as.wrap(shell)).orElse(shell), directory, environment, null);
    } catch (IOException e) {
      return CompletableFuture.completedFuture(
          Optional.of(
              new TaskFailure(
                  FailureReason.TEARDOWN_COMMAND,
                  null,
                  "teardown command could not start: " + e,
                  e)));
    }
    ProcessGroup group = new ProcessGroup(process.pid());
    CompletableFuture<Void> pump =
        OutputPump.copy(process.getInputStream(), output, "teardown-" + process.pid());
    return process
        .onExit()
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handleAsync(
            (exited, error) -> {
              if (error != null) {
                group.kill();
                output.line(
                    "[worker] teardown command still ran after "
                        + GoDuration.format(timeout)
                        + "; its process group was killed");
                OutputPump.drained(pump, drain).join();
                return Optional.of(
                    new TaskFailure(
                        FailureReason.TEARDOWN_COMMAND,
                        "teardown command did not finish within teardown_timeout ("
                            + GoDuration.format(timeout)
                            + ") and was killed"));
              }
              OutputPump.drained(pump, drain).join();
              int code = process.exitValue();
              return code == 0
                  ? Optional.<TaskFailure>empty()
                  : Optional.of(
                      new TaskFailure(
                          FailureReason.TEARDOWN_COMMAND,
                          "teardown command failed: exit status "
                              + code
                              + ExitStatus.signalNote(code)));
            },
            executor);
  }
}
