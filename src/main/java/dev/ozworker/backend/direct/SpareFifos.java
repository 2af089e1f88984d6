package dev.ozworker.backend.direct;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Output FIFOs made ahead of time. Java cannot make a FIFO, so making one takes an {@code mkfifo}
 * process, which cost about 14 ms of every agent's start on a 2-CPU machine. A run instead gets a
 * spare renamed into place, and the stock is made up again in the background. One process makes a
 * whole batch ({@code mkfifo a b c …}): the process is the cost, not the FIFOs. When many runs
 * start at once and the stock is used up, a run makes its FIFO on the spot, and one such run at a
 * time makes the stock up in the same process, so a burst of runs takes a process per batch, not
 * per run.
 *
 * <p>The spares live in a folder of this process's own under {@code <task_log_dir>/.direct-fifos}
 * (the file system of the runs' files, so the rename is atomic), locked while the process lives.
 * Folders nobody holds are what dead workers left; they are removed when the stock is opened.
 */
final class SpareFifos implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpareFifos.class);

  /** How long a close waits for a refill under way. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  /** Spares kept ready: a batch for one mkfifo process. */
  static final int STOCK = 32;

  /** How long after an agent's spawn the stock is made up again: its start is over by then. */
  static final Duration RESTOCK_AFTER = Duration.ofMillis(200);

  private static final String LOCK = "lock";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  /**
   * Folders of this JVM's stocks: never opened to test their lock, since closing any channel on a
   * file drops every lock the JVM holds on it.
   */
  private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();

  private final Path folder;
  private final FileChannel lockChannel;
  private final Executor executor;
  private final Queue<Path> ready = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean refilling = new AtomicBoolean();
  private final AtomicLong made = new AtomicLong();
  private final AtomicLong processes = new AtomicLong();
  private volatile boolean closed;

  private SpareFifos(Path folder, FileChannel lockChannel, Executor executor) {
    this.folder = folder;
    this.lockChannel = lockChannel;
    this.executor = executor;
  }

  /**
   * Opens a stock under {@code taskLogDir}, removes what dead workers left and starts filling. When
   * the folder cannot be made, every FIFO is made on the spot, as without a stock.
   */
  static SpareFifos open(Path taskLogDir, Executor executor) {
    Path root = taskLogDir.resolve(".direct-fifos");
    try {
      // like the task logs and the runs' files: the worker's user only
      FileAttribute<?> ownerOnly = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
      Files.createDirectories(root, ownerOnly);
      removeAbandoned(root);
      Path folder = Files.createDirectories(root.resolve(UUID.randomUUID().toString()), ownerOnly);
      FileChannel channel =
          FileChannel.open(
              folder.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      channel.lock();
      OPEN.add(folder);
      SpareFifos spares = new SpareFifos(folder, channel, executor);
      spares.restock();
      return spares;
    } catch (IOException e) {
      log.warn("no spare FIFOs in {}, each run makes its own: {}", root, e.toString());
      SpareFifos none = new SpareFifos(null, null, executor);
      none.closed = true;
      return none;
    }
  }

  /**
   * Puts a FIFO at {@code target}: a spare when one is left, else one made now, with a new stock in
   * the same process unless another run is making one meanwhile. The caller calls {@link
   * #restockLater()} once its agent is spawned, so making spares does not slow that start.
   */
  void place(Path target) throws IOException {
    Files.deleteIfExists(target);
    Path spare;
    while ((spare = ready.poll()) != null) {
      try {
        Files.move(spare, target, StandardCopyOption.ATOMIC_MOVE);
        return;
      } catch (NoSuchFileException gone) {
        // removed under us (say, the task log dir was cleaned): try the next one
      }
    }
    if (closed || !refilling.compareAndSet(false, true)) {
      make(List.of(target));
      return;
    }
    // The stock is used up, so more runs are likely starting: the spares are made in the same
    // process as this run's FIFO.
    try {
      List<Path> spares = nextSpares();
      List<Path> batch = new ArrayList<>(List.of(target));
      batch.addAll(spares);
      try {
        make(batch);
        ready.addAll(spares);
      } catch (IOException e) {
        // a spare that failed must not fail the run: its FIFO alone, with its own error if any
        log.debug("cannot make spare FIFOs in {}: {}", folder, e.getMessage());
        Files.deleteIfExists(target);
        make(List.of(target));
      }
    } finally {
      doneRefilling();
    }
  }

  /** Spares ready now. */
  int stocked() {
    return ready.size();
  }

  /** How many mkfifo processes this stock has run. */
  long processes() {
    return processes.get();
  }

  /** Makes spares up to {@link #STOCK} on the executor, one filler at a time. */
  void restock() {
    restockOn(executor);
  }

  /**
   * {@link #restock()} after {@link #RESTOCK_AFTER}: a run that has just started its agent calls
   * this, so that the mkfifo processes do not compete for the CPU with the agent's own start. Only
   * once the stock is down to half: one process then makes half a stock, where runs one after
   * another took an mkfifo process each.
   */
  void restockLater() {
    if (ready.size() > STOCK / 2) {
      return;
    }
    restockOn(
        CompletableFuture.delayedExecutor(
            RESTOCK_AFTER.toMillis(), TimeUnit.MILLISECONDS, executor));
  }

  private void restockOn(Executor filler) {
    if (closed || ready.size() >= STOCK || !refilling.compareAndSet(false, true)) {
      return;
    }
    try {
      filler.execute(
          () -> {
            try {
              List<Path> batch = nextSpares();
              if (!closed && !batch.isEmpty()) {
                make(batch);
                ready.addAll(batch);
              }
            } catch (IOException e) {
              log.debug("cannot make a spare FIFO in {}: {}", folder, e.getMessage());
            } finally {
              doneRefilling();
            }
          });
    } catch (RejectedExecutionException shutDown) {
      doneRefilling();
    }
  }

  /** Names for the spares missing from the stock. */
  private List<Path> nextSpares() {
    List<Path> names = new ArrayList<>();
    for (int i = ready.size(); i < STOCK; i++) {
      names.add(folder.resolve("fifo-" + made.incrementAndGet()));
    }
    return names;
  }

  private void make(List<Path> fifos) throws IOException {
    processes.incrementAndGet();
    AgentProcess.makeFifos(fifos);
  }

  /** A refill ended: a close waiting for it may remove the folder now. */
  private void doneRefilling() {
    synchronized (refilling) {
      refilling.set(false);
      refilling.notifyAll();
    }
  }

  /**
   * Waits, for {@link #CLOSE_WAIT} at most, for a refill under way: an mkfifo still running would
   * make its FIFOs in the folder after it was removed, and leave it behind.
   */
  private void awaitRefill() {
    long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
    synchronized (refilling) {
      for (long left = CLOSE_WAIT.toNanos(); refilling.get() && left > 0; ) {
        try {
          TimeUnit.NANOSECONDS.timedWait(refilling, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        left = deadline - System.nanoTime();
      }
    }
  }

  @Override
  public void close() {
    if (folder == null) {
      return;
    }
    closed = true;
    awaitRefill();
    ready.clear();
    try {
      RunFiles.deleteTree(folder);
      lockChannel.close();
    } catch (IOException e) {
      log.debug("cannot remove the spare FIFOs in {}: {}", folder, e.getMessage());
    } finally {
      OPEN.remove(folder);
    }
  }

  /** Removes the folders of stocks whose process is gone: no one holds their lock. */
  private static void removeAbandoned(Path root) throws IOException {
    try (DirectoryStream<Path> folders = Files.newDirectoryStream(root)) {
      for (Path folder : folders) {
        if (!OPEN.contains(folder) && isAbandoned(folder)) {
          RunFiles.deleteTree(folder);
        }
      }
    }
  }

  private static boolean isAbandoned(Path folder) {
    try (FileChannel channel =
        FileChannel.open(
            folder.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock = channel.tryLock();
      return lock != null;
    } catch (OverlappingFileLockException | IOException e) {
      return false;
    }
  }
}
