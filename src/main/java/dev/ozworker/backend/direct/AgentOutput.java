package dev.ozworker.backend.direct;

import dev.ozworker.backend.TaskLog;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The worker's ends of an agent's output FIFO ({@link RunFiles#output()}), opened before the agent
 * starts, and the pump that copies the output into the run's log.
 *
 * <p>A FIFO keeps what was written to it only while some process has it open. An agent that printed
 * and exited before the worker's reader had opened the FIFO lost its whole output: the wrapper's
 * close dropped it, and the reader then waited for a writer that never came. So the worker opens
 * the FIFO first read-write ({@code hold}, which never blocks on a FIFO), then for reading (which
 * does not block, {@code hold} being a writer), both before the agent is spawned. {@code hold} is
 * let go once the agent's wrapper has ended; from then on the reader sees the end of the output as
 * soon as every process that inherited it has closed it.
 */
final class AgentOutput implements AutoCloseable {
  private final FileChannel hold;
  private final FileChannel reader;
  private final CompletableFuture<Void> pump;

  private AgentOutput(FileChannel hold, FileChannel reader, CompletableFuture<Void> pump) {
    this.hold = hold;
    this.reader = reader;
    this.pump = pump;
  }

  /**
   * Opens the FIFO at {@code fifo} (never creating it) and starts copying it into {@code log}.
   *
   * @param wanted false once nobody wants the output any more (the backend was closed)
   */
  static AgentOutput open(Path fifo, TaskLog log, String name, BooleanSupplier wanted)
      throws IOException {
    FileChannel hold = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileChannel reader;
    try {
      reader = FileChannel.open(fifo, StandardOpenOption.READ);
    } catch (IOException | RuntimeException e) {
      hold.close();
      throw e;
    }
    return new AgentOutput(
        hold, reader, OutputPump.copy(Channels.newInputStream(reader), log, name, wanted));
  }

  /**
   * The agent's wrapper has ended: completes once the output is read to its end, or after {@code
   * within}. A process the agent left outside its process group may hold the output open for ever;
   * then reading stops at that deadline, and the log says that what follows is not kept.
   */
  CompletableFuture<Void> drain(Duration within, TaskLog log) {
    closeQuietly(hold);
    return pump.handle((done, error) -> true)
        .completeOnTimeout(false, within.toMillis(), TimeUnit.MILLISECONDS)
        .thenCompose(
            ended -> {
              if (ended) {
                return CompletableFuture.completedFuture(null);
              }
              // a blocked read returns once its channel is closed; the pump writes nothing after
              closeQuietly(reader);
              return pump.handle(
                  (done, error) -> {
                    log.line(
                        "[worker] output cut "
                            + within.toMillis()
                            + " ms after the agent exited: a process it left running still held"
                            + " the output open; what it writes from now on is not kept");
                    return null;
                  });
            });
  }

  /** Stops reading and lets go of the FIFO; the agent's own ends are not touched. */
  @Override
  public void close() {
    closeQuietly(hold);
    closeQuietly(reader);
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // a FIFO end that fails to close is released with the process anyway
    }
  }
}
