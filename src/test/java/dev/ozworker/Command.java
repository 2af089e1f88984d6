package dev.ozworker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A command of the tests (docker, kubectl, a script, the jar) run to its end with nothing on its
 * stdin: its exit status, and its stdout and stderr apart. Tests run in the repository, and so does
 * a command unless given a directory.
 */
public record Command(List<String> argv, int status, String out, String err) {
  /** How long a kubectl command may take: a rollout, a delete that waits, a stuck API server. */
  static final Duration KUBECTL = Duration.ofSeconds(200);

  /** Runs {@code argv} in the repository. */
  public static Command run(Duration timeout, String... argv)
      throws IOException, InterruptedException {
    return run(Path.of(""), timeout, List.of(argv));
  }

  /** Runs {@code argv} in {@code directory}. */
  public static Command run(Path directory, Duration timeout, String... argv)
      throws IOException, InterruptedException {
    return run(directory, timeout, List.of(argv));
  }

  /**
   * Runs {@code argv} in {@code directory}, killed after {@code timeout}.
   *
   * @throws IllegalStateException when it ran over {@code timeout}
   */
  public static Command run(Path directory, Duration timeout, List<String> argv)
      throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(argv).directory(directory.toAbsolutePath().toFile()).start();
    process.getOutputStream().close();
    // Read apart, both at once: a command filling the pipe nobody reads would never end.
    CompletableFuture<byte[]> err =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return process.getErrorStream().readAllBytes();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(String.join(" ", argv) + " ran over " + timeout);
    }
    return new Command(
        List.copyOf(argv),
        process.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err.join(), StandardCharsets.UTF_8));
  }

  /** {@code kubectl ARGS} against the cluster KUBECONFIG names. */
  public static Command kubectl(String... args) throws IOException, InterruptedException {
    return run(
        KUBECTL, Stream.concat(Stream.of("kubectl"), Stream.of(args)).toArray(String[]::new));
  }

  /** This command, which must have exited 0; else an AssertionError with all it printed. */
  public Command ok() {
    if (status != 0) {
      throw new AssertionError(String.join(" ", argv) + " exited " + status + ":\n" + out + err);
    }
    return this;
  }

  /** The lines of its stdout. */
  public List<String> lines() {
    return out.lines().toList();
  }
}
