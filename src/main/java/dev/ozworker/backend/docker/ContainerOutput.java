package dev.ozworker.backend.docker;

import dev.ozworker.backend.TaskLog;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A container's output as far as the run's log has it. Every stream reads the output from its
 * start, as the engine keeps it, and writes only what no stream wrote before: a stream that broke
 * is resumed exactly where the log stopped, with no line lost and none written twice.
 */
final class ContainerOutput {
  private final TaskLog log;
  private long written;
  private CompletableFuture<Optional<String>> latest =
      CompletableFuture.completedFuture(Optional.of("not followed yet"));

  ContainerOutput(TaskLog log) {
    this.log = log;
  }

  /** A new stream's place in the output: at its start. */
  Reader reader() {
    return new Reader();
  }

  /**
   * Remembers the stream that follows the output now.
   *
   * @param ended completes when it ends: empty when the engine ended it (the whole output was
   *     read), else what broke it
   */
  synchronized void following(CompletableFuture<Optional<String>> ended) {
    latest = ended;
  }

  /** How the latest following stream ended, once it has. */
  synchronized CompletableFuture<Optional<String>> latest() {
    return latest;
  }

  /** Whether the latest following stream ended without reaching the end of the output. */
  synchronized boolean broken() {
    return latest.isDone() && latest.join().isPresent();
  }

  private synchronized void write(long position, byte[] payload) {
    long end = position + payload.length;
    if (end > written) {
      int skip = (int) Math.max(0, written - position);
      log.write(payload, skip, payload.length - skip);
      written = end;
    }
  }

  /** One stream's position in the output. Its frames arrive in order, on one thread. */
  final class Reader {
    private long position;

    void accept(byte[] payload) {
      write(position, payload);
      position += payload.length;
    }
  }
}
