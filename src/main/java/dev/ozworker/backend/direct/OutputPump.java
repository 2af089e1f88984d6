package dev.ozworker.backend.direct;

import dev.ozworker.backend.TaskLog;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.AsynchronousCloseException;
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
    return copy(in, log, name, () -> true);
  }

  /**
   * Copies {@code in} until it ends or is closed, then closes it.
   *
   * @param wanted false once nobody wants the output any more (the backend was closed): what is
   *     read then is dropped and the pump stops
   */
  static CompletableFuture<Void> copy(
      InputStream in, TaskLog log, String name, BooleanSupplier wanted) {
    return onOwnThread(name, () -> pump(in, log, wanted));
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

  private static void pump(InputStream source, TaskLog log, BooleanSupplier wanted) {
    try (InputStream in = source) {
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (!wanted.getAsBoolean()) {
          return;
        }
        log.write(buffer, 0, n);
      }
    } catch (AsynchronousCloseException stopped) {
      // the worker stopped reading on purpose, and says why where it did
    } catch (IOException e) {
      log.line("[worker] output could not be read further: " + e.getMessage());
    }
  }
}
