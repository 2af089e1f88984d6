package dev.ozworker.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The Go reference worker ({@code oz-agent-worker}) as a child process with its Direct backend
 * running the {@link StandIn}, for the side-by-side figures. Found at {@code $OZ_REFERENCE_WORKER}
 * or {@code /var/cache/peers/oz-agent-worker}; without it the reference columns stay empty. Closing
 * stops that process, and only that one.
 */
public final class ReferenceWorkerProcess implements AutoCloseable {
  static final Path DEFAULT_BINARY = Path.of("/var/cache/peers/oz-agent-worker");

  private final Process process;
  private final Path log;

  private ReferenceWorkerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** The reference binary on this machine, if any. */
  public static Optional<Path> binary() {
    return Optional.ofNullable(System.getenv("OZ_REFERENCE_WORKER"))
        .filter(s -> !s.isBlank())
        .map(Path::of)
        .or(() -> Optional.of(DEFAULT_BINARY))
        .filter(Files::isExecutable);
  }

  /** Starts it against {@code webSocketUrl} with workspaces and its log under {@code dir}. */
  public static ReferenceWorkerProcess start(
      Path binary, URI webSocketUrl, String apiKey, String workerId, Path ozPath, Path dir)
      throws IOException {
    Files.createDirectories(dir.resolve("workspaces"));
    Path config = dir.resolve("worker.yaml");
    Files.writeString(
        config,
        "backend:\n  direct:\n    workspace_root: %s\n    oz_path: %s\n"
            .formatted(dir.resolve("workspaces"), ozPath));
    Path log = dir.resolve("worker.log");
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    binary.toString(),
                    "--backend",
                    "direct",
                    "--web-socket-url",
                    webSocketUrl.toString(),
                    "--api-key",
                    apiKey,
                    "--worker-id",
                    workerId,
                    "--config-file",
                    config.toString(),
                    "--log-level",
                    "warn"))
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().remove("WARP_API_KEY");
    return new ReferenceWorkerProcess(builder.start(), log);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
