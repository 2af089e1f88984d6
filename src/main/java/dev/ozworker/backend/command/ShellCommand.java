package dev.ozworker.backend.command;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One {@code /bin/sh -c} run of an operator's command: exactly the environment given (nothing of
 * the JVM's own), stdin from bytes (or none), output handed to a sink on a thread of its own.
 *
 * <p>A process the command leaves behind on purpose (a runtime started detached) may keep the
 * output pipe open: the run counts as over when the shell exits, and the output is awaited only for
 * {@link #OUTPUT_DRAIN} more.
 */
final class ShellCommand {
  static final Duration OUTPUT_DRAIN = Duration.ofSeconds(5);
  private static final int BUFFER = 8 * 1024;

  private final Process process;
  private final Thread pump;

  private ShellCommand(Process process, Thread pump) {
    this.process = process;
    this.pump = pump;
  }

  /**
   * @param env the command's whole environment
   * @param stdin what the command reads; empty for no stdin at all
   * @param output receives stdout and stderr, merged, as read
   */
  static ShellCommand start(
      String command, Map<String, String> env, Optional<byte[]> stdin, Output output)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(List.of("/bin/sh", "-c", command));
    builder.environment().clear();
    builder.environment().putAll(env);
    builder.redirectErrorStream(true);
    if (stdin.isEmpty()) {
      builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    }
    Process process = builder.start();
    stdin.ifPresent(bytes -> feed(process, bytes));
    // A platform thread: a blocking pipe read would pin a virtual thread's carrier.
    Thread pump =
        Thread.ofPlatform()
            .daemon()
            .name("command-output-" + process.pid())
            .start(() -> copy(process.getInputStream(), output));
    return new ShellCommand(process, pump);
  }

  /** What the command writes, chunk by chunk. */
  interface Output {
    void write(byte[] bytes, int offset, int length);
  }

  long pid() {
    return process.pid();
  }

  /** Waits up to {@code timeout} for the shell to exit; its status, or empty when it still runs. */
  Optional<Integer> waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      return Optional.empty();
    }
    return Optional.of(process.exitValue());
  }

  /** Kills the shell and everything it started that is still its descendant. */
  void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** Waits a little for the output to end; a detached child may hold it open for ever. */
  void awaitOutput() throws InterruptedException {
    pump.join(OUTPUT_DRAIN);
  }

  /** Writes the payload on a thread of its own: a command that never reads it must not block us. */
  private static void feed(Process process, byte[] bytes) {
    Thread.ofVirtual()
        .name("command-stdin-" + process.pid())
        .start(
            () -> {
              try (OutputStream in = process.getOutputStream()) {
                in.write(bytes);
              } catch (IOException e) {
                // the command exited or closed stdin without reading it all: its exit tells
              }
            });
  }

  private static void copy(InputStream in, Output output) {
    byte[] buffer = new byte[BUFFER];
    try (in) {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        output.write(buffer, 0, read);
      }
    } catch (IOException e) {
      // the pipe closed under us: what was read is kept
    }
  }
}
