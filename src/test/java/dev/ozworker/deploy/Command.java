package dev.ozworker.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A command run to its end, with its exit status and output (stderr after stdout). */
record Command(List<String> argv, int status, String out, String err) {

  static Command run(Path directory, long timeoutSeconds, String... argv)
      throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(argv).directory(directory.toAbsolutePath().toFile()).start();
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
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(
          String.join(" ", argv) + " ran over " + timeoutSeconds + " s");
    }
    return new Command(
        List.of(argv),
        process.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err.join(), StandardCharsets.UTF_8));
  }

  /** This command's status must be 0. */
  Command succeeded() {
    if (status != 0) {
      throw new AssertionError(String.join(" ", argv) + " exited " + status + ":\n" + out + err);
    }
    return this;
  }
}
