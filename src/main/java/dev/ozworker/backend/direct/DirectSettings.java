package dev.ozworker.backend.direct;

import dev.ozworker.config.DirectBackendConfig;
import dev.ozworker.config.EnvVar;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
 * @param apiKey the worker's Oz API key, however it was given (flag or variable): masked in logs
 * @param outputToWorkerLog whether task output also goes to the worker's log, masked
 */
record DirectSettings(
    Path oz,
    DirectBackendConfig config,
    Map<String, String> host,
    boolean cleanup,
    Path taskLogDir,
    Duration drain,
    Optional<String> apiKey,
    boolean outputToWorkerLog) {

  static final Duration DEFAULT_DRAIN = Duration.ofSeconds(2);

  /** The worker's own secret that every worker has, whatever {@code secret_env_names} says. */
  static final String API_KEY_VARIABLE = "WARP_API_KEY";

  DirectSettings {
    host = Map.copyOf(host);
  }

  DirectSettings(
      Path oz,
      DirectBackendConfig config,
      Map<String, String> host,
      boolean cleanup,
      Path taskLogDir,
      Duration drain) {
    this(oz, config, host, cleanup, taskLogDir, drain, Optional.empty(), false);
  }

  /** The names of the worker's own secret variables: {@code WARP_API_KEY} and the operator's. */
  Set<String> secretNames() {
    Set<String> names = new LinkedHashSet<>();
    names.add(API_KEY_VARIABLE);
    names.addAll(config.secretEnvNames());
    return names;
  }

  /**
   * The worker's environment without its own secrets: what setup and teardown inherit. They run
   * commands of the operator's in the agent's workspace, whose files the agent wrote.
   */
  Map<String, String> hookHost() {
    Map<String, String> env = new LinkedHashMap<>(host);
    env.keySet().removeAll(secretNames());
    return env;
  }

  /** The values of the worker's own secrets, to mask wherever a run's output is kept. */
  Set<String> ownSecretValues() {
    Set<String> values = new LinkedHashSet<>();
    secretNames().stream()
        .map(host::get)
        .filter(value -> value != null && !value.isEmpty())
        .forEach(values::add);
    apiKey.filter(value -> !value.isEmpty()).ifPresent(values::add);
    return values;
  }

  /** The uid and gid the run's processes take, when the operator set {@code run_as_uid}. */
  Optional<RunAs> runAs() {
    return config.runAsUid().map(uid -> new RunAs(uid, config.runAsGid().orElse(uid)));
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
