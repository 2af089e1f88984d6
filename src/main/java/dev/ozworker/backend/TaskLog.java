package dev.ozworker.backend;

import dev.ozworker.observe.Redactor;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One run's output: masked, written to {@code <dir>/<runId>.log} and kept as a short tail for the
 * status. Nothing unbounded is held: the file rotates once ({@code .log.1}) at a size limit, the
 * tail is a few KiB, and a line is masked and written once it ends (or once it grows past {@link
 * #MAX_PENDING_CHARS}, keeping back enough to finish masking a secret cut in two). A line that ends
 * with the start of a secret spanning lines (a PEM key, multi-line JSON) is kept back from that
 * start until the secret is complete or cannot be any more, so the file never holds it unmasked.
 *
 * <p>Output is masked before it reaches the file: a secret value from the task's env never lands on
 * disk. A failing disk never fails the task: the log notes it once and keeps the tail.
 */
public final class TaskLog implements Closeable {
  /** Largest log file before it is rotated; two files at most are kept per run. */
  public static final long DEFAULT_MAX_FILE_BYTES = 8L * 1024 * 1024;

  /** Characters of output kept for {@link #tail()}; the controller stores fewer. */
  public static final int TAIL_CHARS = 8 * 1024;

  static final int MAX_PENDING_CHARS = 16 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(TaskLog.class);

  private final Path file;
  private Redactor redactor;
  private int keepBack;
  private final long maxFileBytes;
  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private final CharBuffer decoded = CharBuffer.allocate(MAX_PENDING_CHARS);
  private final ByteBuffer carry = ByteBuffer.allocate(8);
  private final StringBuilder pending = new StringBuilder();
  private final StringBuilder tail = new StringBuilder();
  private Writer writer;
  private long fileBytes;
  private boolean diskFailed;
  private boolean closed;

  /** Where output goes in the worker's own log when asked: a logger of its own, to filter by. */
  private static final Logger AGENT_OUTPUT = LoggerFactory.getLogger("dev.ozworker.agent-output");

  private final String runId;
  private boolean toWorkerLog;

  private TaskLog(String runId, Path file, Redactor redactor, long maxFileBytes) {
    this.runId = runId;
    this.file = file;
    this.redactor = redactor;
    this.keepBack = Math.max(0, redactor.longestSecretLength() - 1);
    this.maxFileBytes = maxFileBytes;
  }

  /** The log file of a run: {@code <dir>/<runId>.log}. */
  public static Path file(Path dir, String runId) {
    return dir.resolve(runId + ".log");
  }

  /**
   * The run's log files that exist, oldest first: the rotated {@code .log.1}, then {@code .log}.
   */
  public static List<Path> files(Path dir, String runId) {
    Path current = file(dir, runId);
    return Stream.of(current.resolveSibling(current.getFileName() + ".1"), current)
        .filter(Files::isRegularFile)
        .toList();
  }

  /**
   * Opens (appending to) the run's log, creating {@code dir} with mode 0700 if needed.
   *
   * @param redactor masks the task's secret values
   */
  public static TaskLog open(Path dir, String runId, Redactor redactor) {
    return open(dir, runId, redactor, DEFAULT_MAX_FILE_BYTES);
  }

  /**
   * As {@link #open(Path, String, Redactor)}; with {@code toWorkerLog}, every masked line also goes
   * to the worker's own log ({@code agent_output_to_worker_log}).
   */
  public static TaskLog open(Path dir, String runId, Redactor redactor, boolean toWorkerLog) {
    TaskLog log = open(dir, runId, redactor, DEFAULT_MAX_FILE_BYTES);
    log.toWorkerLog = toWorkerLog;
    return log;
  }

  static TaskLog open(Path dir, String runId, Redactor redactor, long maxFileBytes) {
    TaskLog log = new TaskLog(runId, file(dir, runId), redactor, maxFileBytes);
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      log.openWriter();
    } catch (IOException | UnsupportedOperationException e) {
      log.diskFailed(e);
    }
    return log;
  }

  /** Output bytes of the agent, in order; partial UTF-8 sequences may be split across calls. */
  public synchronized void write(byte[] bytes, int offset, int length) {
    if (closed) {
      return;
    }
    ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
    if (carry.position() > 0) {
      // finish the character the previous write cut; the decoder leaves partial input to us
      while (carry.hasRemaining() && in.hasRemaining()) {
        carry.put(in.get());
        carry.flip();
        decoder.decode(carry, decoded, false);
        carry.compact();
        if (carry.position() == 0) {
          break;
        }
      }
    }
    while (true) {
      var result = decoder.decode(in, decoded, false);
      drainDecoded();
      if (result.isUnderflow()) {
        carry.put(in);
        return;
      }
    }
  }

  /** A whole line from the worker itself, such as why a step failed. */
  public synchronized void line(String text) {
    if (closed) {
      return;
    }
    flushCompleted();
    emit(redactor.redact(text) + "\n");
  }

  /**
   * Masks {@code values} too from now on, such as what a setup command wrote for the agent; output
   * not yet written is masked with them.
   */
  public synchronized void mask(java.util.Collection<String> values) {
    redactor = redactor.with(values);
    keepBack = Math.max(0, redactor.longestSecretLength() - 1);
  }

  /** An {@link OutputStream} view, for code that copies streams. Closing it does nothing. */
  public OutputStream asStream() {
    return new OutputStream() {
      @Override
      public void write(int b) {
        TaskLog.this.write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        TaskLog.this.write(b, off, len);
      }
    };
  }

  /** The last {@link #TAIL_CHARS} characters written so far, already masked. */
  public synchronized String tail() {
    String unfinished = redactor.redact(pending.toString());
    unfinished = unfinished.substring(0, unfinished.length() - redactor.partialAtEnd(unfinished));
    String all = tail + unfinished;
    return all.length() <= TAIL_CHARS ? all : all.substring(all.length() - TAIL_CHARS);
  }

  public Path file() {
    return file;
  }

  /** Writes what is pending (an unfinished last line) and closes the file. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    carry.flip();
    decoder.decode(carry, decoded, true);
    decoder.flush(decoded);
    drainDecoded();
    flushPending();
    closed = true;
    if (writer != null) {
      try {
        writer.close();
      } catch (IOException e) {
        diskFailed(e);
      }
    }
  }

  private void drainDecoded() {
    decoded.flip();
    while (decoded.hasRemaining()) {
      char c = decoded.get();
      pending.append(c);
      if (c == '\n') {
        flushCompleted();
      } else if (pending.length() >= MAX_PENDING_CHARS) {
        flushLongLine();
      }
    }
    decoded.clear();
  }

  private void flushPending() {
    if (!pending.isEmpty()) {
      emit(redactor.redact(pending.toString()));
      pending.setLength(0);
    }
  }

  /**
   * Writes what is pending up to where a secret that spans lines may begin, and keeps that: its
   * next lines complete it, and it is masked whole.
   */
  private void flushCompleted() {
    if (pending.isEmpty()) {
      return;
    }
    String masked = redactor.redact(pending.toString());
    int cut = masked.length() - redactor.partialAtEnd(masked);
    emit(masked.substring(0, cut));
    pending.setLength(0);
    pending.append(masked, cut, masked.length());
  }

  /**
   * A line with no end in sight: mask what is there, write all but the last {@code keepBack}
   * characters, and keep those, which may be the start of a secret the next bytes complete.
   */
  private void flushLongLine() {
    String masked = redactor.redact(pending.toString());
    int cut = Math.max(0, masked.length() - keepBack);
    emit(masked.substring(0, cut));
    pending.setLength(0);
    pending.append(masked, cut, masked.length());
  }

  private void emit(String text) {
    if (toWorkerLog && !text.isEmpty()) {
      String before = MDC.get("task");
      MDC.put("task", runId);
      try {
        text.lines().forEach(line -> AGENT_OUTPUT.info("{}", line));
      } finally {
        if (before == null) {
          MDC.remove("task");
        } else {
          MDC.put("task", before);
        }
      }
    }
    tail.append(text);
    if (tail.length() > 2 * TAIL_CHARS) {
      tail.delete(0, tail.length() - TAIL_CHARS);
    }
    if (writer == null) {
      return;
    }
    try {
      long bytes = text.getBytes(StandardCharsets.UTF_8).length;
      if (fileBytes > 0 && fileBytes + bytes > maxFileBytes) {
        rotate();
      }
      writer.write(text);
      writer.flush();
      fileBytes += bytes;
    } catch (IOException e) {
      diskFailed(e);
    }
  }

  private void rotate() throws IOException {
    writer.close();
    Files.move(
        file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
    openWriter();
  }

  private void openWriter() throws IOException {
    if (!Files.exists(file)) {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    fileBytes = Files.size(file);
    writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  private void diskFailed(Exception e) {
    if (!diskFailed) {
      diskFailed = true;
      LOG.warn("cannot write the task log {}: {}; keeping only its tail", file, e.toString());
    }
    if (writer != null) {
      try {
        writer.close();
      } catch (IOException ignored) {
        // already failing; the first problem was logged
      }
    }
    writer = null;
  }
}
