package dev.ozworker.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A command of the end-to-end tests (docker, kubectl, a script) run to its end, with its output.
 */
record Exec(List<String> argv, int status, String out, String err) {
  static final Path REPO = Path.of("").toAbsolutePath();

  static Exec run(Duration timeout, String... argv) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(argv).directory(REPO.toFile()).start();
    process.getOutputStream().close();
    CompletableFuture<byte[]> err =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return process.getErrorStream().readAllBytes();
              } catch (IOException e) {
                return e.toString().getBytes(StandardCharsets.UTF_8);
              }
            });
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(String.join(" ", argv) + " ran over " + timeout);
    }
    return new Exec(
        List.of(argv),
        process.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err.join(), StandardCharsets.UTF_8));
  }

  /** {@code kubectl ARGS} against the cluster KUBECONFIG names. */
  static Exec kubectl(String... args) throws IOException, InterruptedException {
    return run(
        Duration.ofSeconds(200),
        Stream.concat(Stream.of("kubectl"), Stream.of(args)).toArray(String[]::new));
  }

  /** This command's status must be 0. */
  Exec ok() {
    if (status != 0) {
      throw new AssertionError(String.join(" ", argv) + " exited " + status + ":\n" + out + err);
    }
    return this;
  }

  List<String> lines() {
    return out.lines().toList();
  }
}
