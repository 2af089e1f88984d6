package dev.ozworker.bench;

import dev.ozworker.Command;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A FIFO that started {@link StandIn}s write one line to, read by one thread that timestamps each
 * line as it arrives: when a process really started, without polling. Knows every pid it heard of,
 * so a benchmark can end exactly the processes it caused.
 */
public final class StartSignals implements AutoCloseable {
  /** A stand-in that announced itself: when ({@link System#nanoTime()}) and its pid. */
  public record Started(long nanos, long pid) {}

  private final Path fifo;
  private final RandomAccessFile held;
  private final Map<String, CompletableFuture<Started>> started = new ConcurrentHashMap<>();
  private final Thread reader;
  private volatile boolean closing;

  private StartSignals(Path fifo, RandomAccessFile held) {
    this.fifo = fifo;
    this.held = held;
    this.reader = Thread.ofPlatform().name("bench-start-signals").daemon().start(this::read);
  }

  /** Makes the FIFO {@code dir/started} and starts reading it. */
  public static StartSignals open(Path dir) throws IOException, InterruptedException {
    Path fifo = dir.resolve("started");
    Command mkfifo = Command.run(Duration.ofSeconds(30), "mkfifo", fifo.toString());
    if (mkfifo.status() != 0) {
      throw new IOException("mkfifo " + fifo + " failed: " + mkfifo.err().strip());
    }
    // Open for reading and writing (which does not wait for a writer on Linux) and held for the
    // whole benchmark: the FIFO then never reaches end-of-file between two writers, so a stand-in
    // never opens it in the moment a reader closes it and dies of SIGPIPE. Reopening it after
    // every end-of-file once lost a start signal out of 100 concurrent ones.
    return new StartSignals(fifo, new RandomAccessFile(fifo.toFile(), "rw"));
  }

  public Path path() {
    return fifo;
  }

  /** Completes when the stand-in of {@code taskId} has started. */
  public CompletableFuture<Started> of(String taskId) {
    return started.computeIfAbsent(taskId, id -> new CompletableFuture<>());
  }

  /** Waits up to a minute for the stand-in of {@code taskId}. */
  public Started await(String taskId) throws Exception {
    return of(taskId).get(60, TimeUnit.SECONDS);
  }

  /** The pids of every stand-in heard of. */
  public List<Long> pids() {
    return started.values().stream()
        .filter(CompletableFuture::isDone)
        .map(CompletableFuture::join)
        .map(Started::pid)
        .toList();
  }

  private void read() {
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(new FileInputStream(held.getFD()), StandardCharsets.UTF_8))) {
      String line;
      while (!closing && (line = lines.readLine()) != null) {
        long now = System.nanoTime();
        String[] parts = line.strip().split(" ");
        if (parts.length == 2) {
          of(parts[0]).complete(new Started(now, Long.parseLong(parts[1])));
        }
      }
    } catch (IOException e) {
      if (!closing) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Ends every stand-in still alive that announced itself (by its pid, nothing else), and stops
   * reading: opening the FIFO for writing wakes a reader waiting for a writer.
   */
  @Override
  public void close() throws InterruptedException {
    for (long pid : pids()) {
      // Only a holding stand-in is still alive (it became sleep); a reused pid is left alone.
      ProcessHandle.of(pid)
          .filter(p -> p.info().command().map(c -> c.endsWith("sleep")).orElse(false))
          .ifPresent(ProcessHandle::destroyForcibly);
    }
    closing = true;
    // An empty line wakes the reader, which then sees it is closing.
    try (OutputStream wake = Files.newOutputStream(fifo)) {
      wake.write('\n');
    } catch (IOException e) {
      // the reader is gone already
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    try {
      held.close();
    } catch (IOException e) {
      // closed with the reader already
    }
  }
}
