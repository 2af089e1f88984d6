package dev.ozworker.backend.direct;

import dev.ozworker.backend.TaskLog;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Copies a process's output into the run's {@link TaskLog} on a platform thread of its own, which
 * spends its life blocked in {@code read}. Not a virtual thread: a blocking read of a file (a FIFO)
 * pins its carrier, and a few pinned pumps would starve every other virtual thread. Its future
 * completes at the end of the output.
 */
final class OutputPump {
  private static final int BUFFER = 8 * 1024;

  private OutputPump() {}

  /** Copies {@code in} until it ends, then closes it. */
  static CompletableFuture<Void> copy(InputStream in, TaskLog log, String name) {
    return onOwnThread(name, () -> pump(() -> in, log, () -> true));
  }

  /**
   * Opens the FIFO (waiting for its writer) and copies it until every writer has closed it.
   *
   * @param wanted false once nobody wants the output any more (the backend was closed): what is
   *     read then is dropped and the pump stops
   */
  static CompletableFuture<Void> copyFifo(
      Path fifo, TaskLog log, String name, BooleanSupplier wanted) {
    return onOwnThread(name, () -> pump(() -> new FileInputStream(fifo.toFile()), log, wanted));
  }

  private static CompletableFuture<Void> onOwnThread(String name, Runnable pump) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .name(name)
        .start(
            () -> {
              try {
                pump.run();
              } finally {
                done.complete(null);
              }
            });
    return done;
  }

  /**
   * The pump's end, or nothing after {@code within}: output held open by a stray process is not
   * waited for.
   */
  static CompletableFuture<Void> drained(CompletableFuture<Void> pump, Duration within) {
    return pump.exceptionally(error -> null)
        .completeOnTimeout(null, within.toMillis(), TimeUnit.MILLISECONDS);
  }

  private interface Source {
    InputStream open() throws IOException;
  }

  private static void pump(Source source, TaskLog log, BooleanSupplier wanted) {
    try (InputStream in = source.open()) {
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (!wanted.getAsBoolean()) {
          return;
        }
        log.write(buffer, 0, n);
      }
    } catch (IOException e) {
      log.line("[worker] output could not be read further: " + e.getMessage());
    }
  }
}
