package dev.ozworker.observe;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * What the worker logs while a test runs: slf4j-simple writes to {@code System.err} as it finds it
 * at each line, so standard error is copied here (and still printed) until {@link #close()}.
 */
public final class LogCapture implements AutoCloseable {
  private final PrintStream original = System.err;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  private LogCapture() {}

  public static LogCapture start() {
    LogCapture capture = new LogCapture();
    System.setErr(
        new PrintStream(new Tee(capture.original, capture.captured), true, StandardCharsets.UTF_8));
    return capture;
  }

  /** Everything logged since {@link #start()}. */
  public String text() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8);
    }
  }

  @Override
  public void close() {
    System.setErr(original);
  }

  private static final class Tee extends OutputStream {
    private final OutputStream first;
    private final ByteArrayOutputStream second;

    Tee(OutputStream first, ByteArrayOutputStream second) {
      this.first = first;
      this.second = second;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      synchronized (second) {
        second.write(b, off, len);
      }
      try {
        first.write(b, off, len);
      } catch (java.io.IOException e) {
        // the console is gone; the capture still holds the line
      }
    }
  }
}
