package dev.ozworker.backend.command;

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
 * The command backend's configuration as its runs use it.
 *
 * @param environment the operator's {@code environment}, over the worker's own
 * @param host the worker's environment, which both commands inherit (as the reference's do)
 * @param serverRootUrl the worker's {@code server_root_url}, empty when unset
 * @param apiKey the worker's own token, masked wherever a command's output goes
 */
record CommandSettings(
    String dispatchCommand,
    Optional<String> cancelCommand,
    Duration dispatchTimeout,
    List<EnvVar> environment,
    Map<String, String> host,
    String serverRootUrl,
    String workerId,
    Path taskLogDir,
    Optional<String> apiKey) {

  CommandSettings {
    environment = List.copyOf(environment);
    host = Map.copyOf(host);
  }

  /**
   * A command's environment: the worker's, then the operator's {@code environment}, then {@code
   * fixed}, which nothing overrides. The task's own variables are never in it: they reach the
   * dispatch command on stdin only.
   */
  Map<String, String> env(Map<String, String> fixed) {
    Map<String, String> env = new LinkedHashMap<>(host);
    environment.forEach(entry -> env.put(entry.name(), valueOf(entry)));
    env.putAll(fixed);
    return env;
  }

  /** What output is masked with besides the task's secrets: the worker's token. */
  Set<String> ownSecretValues() {
    Set<String> values = new LinkedHashSet<>();
    apiKey.filter(value -> !value.isEmpty()).ifPresent(values::add);
    return values;
  }

  private String valueOf(EnvVar entry) {
    return entry.value() != null ? entry.value() : host.getOrDefault(entry.name(), "");
  }
}
