package dev.ozworker.refcheck;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Go reference worker ({@code oz-agent-worker}) as a child process with the Direct backend,
 * configured for one golden case. Closing it stops that process, and only that one.
 */
final class ReferenceWorker implements AutoCloseable {
  private static final YAMLMapper YAML = new YAMLMapper();

  private final Process process;
  private final Path log;

  private ReferenceWorker(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code binary} against {@code webSocketUrl}, with a config file in {@code dir} made of
   * the case's top-level keys plus a Direct backend that runs {@code ozPath} in per-task workspaces
   * under {@code workspaceRoot}, and the case's flags after the fixed ones.
   */
  static ReferenceWorker start(
      Path binary,
      URI webSocketUrl,
      String apiKey,
      String workerId,
      GoldenCase golden,
      Path workspaceRoot,
      Path ozPath,
      Path dir)
      throws IOException {
    ObjectNode config = golden.config().deepCopy();
    if (config.has("backend")) {
      throw new IllegalArgumentException(
          "case '" + golden.name() + "': a reference-checked case must not configure a backend");
    }
    config
        .putObject("backend")
        .putObject("direct")
        .put("workspace_root", workspaceRoot.toString())
        .put("oz_path", ozPath.toString());
    Path configFile = dir.resolve("worker.yaml");
    YAML.writeValue(configFile.toFile(), config);

    List<String> command =
        new ArrayList<>(
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
                configFile.toString()));
    command.addAll(golden.flags());
    Path log = dir.resolve("worker.log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    // The key comes from --api-key; a key in the build's environment must not leak into the run.
    builder.environment().remove("WARP_API_KEY");
    return new ReferenceWorker(builder.start(), log);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** What the worker has logged so far (stdout and stderr, colours removed), for failures. */
  String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8).replaceAll("\u001B\\[[0-9;]*m", "");
    } catch (IOException e) {
      return "(worker log unreadable: " + e + ")";
    }
  }

  /** SIGTERM (the worker's graceful shutdown), then SIGKILL if it has not exited in 10 s. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
