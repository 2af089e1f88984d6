package dev.ozworker.backend.direct;

import dev.ozworker.config.DirectBackendConfig;
import dev.ozworker.config.EnvVar;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the Direct backend runs with, taken from the worker's configuration once.
 *
 * @param oz the Oz CLI, already found
 * @param host the worker's own environment: what setup and teardown inherit, and what the agent's
 *     HOME, TMPDIR and PATH come from
 * @param cleanup whether workspaces are removed after a run
 * @param taskLogDir where run logs (and the backend's per-run files) live
 * @param drain how long to wait for output after a process exited, when some other process still
 *     holds its output open
 */
record DirectSettings(
    Path oz,
    DirectBackendConfig config,
    Map<String, String> host,
    boolean cleanup,
    Path taskLogDir,
    Duration drain) {

  static final Duration DEFAULT_DRAIN = Duration.ofSeconds(2);

  DirectSettings {
    host = Map.copyOf(host);
  }

  Optional<String> setupCommand() {
    return config.setupCommand().filter(command -> !command.isBlank());
  }

  Optional<String> teardownCommand() {
    return config.teardownCommand().filter(command -> !command.isBlank());
  }

  Duration teardownTimeout() {
    return config.teardownTimeout();
  }

  List<EnvVar> environment() {
    return config.environment();
  }

  RunFiles files(String runId) {
    return RunFiles.of(taskLogDir, runId);
  }
}
