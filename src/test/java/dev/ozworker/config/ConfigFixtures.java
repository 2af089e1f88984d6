package dev.ozworker.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Configurations for tests, written as keys of the config file and flags and read as the worker
 * reads them, so that a test names only the keys it cares about and a new key changes none.
 */
public final class ConfigFixtures {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private ConfigFixtures() {}

  /**
   * @param file the config file's keys, values as YAML would hold them (text, numbers, lists, maps)
   * @param flags flags by long name, e.g. {@code --http-address}; an API key is added if missing
   */
  public static WorkerConfig worker(Map<String, ?> file, Map<String, String> flags) {
    Map<String, String> given = new HashMap<>(flags);
    given.putIfAbsent("--api-key", "test-key");
    try {
      return new WorkerConfigResolver(Map.of(), Path.of("/"))
          .resolve(
              ConfigFile.parse(YAML.writeValueAsString(file), "the test's configuration", Map.of()),
              Flags.of(given));
    } catch (ConfigException | JsonProcessingException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The {@code backend.docker} block with {@code keys}, defaults for the rest. */
  public static DockerBackendConfig docker(Map<String, ?> keys) {
    return (DockerBackendConfig)
        worker(Map.of("worker_id", "w", "backend", Map.of("docker", keys)), Map.of()).backend();
  }

  /** The {@code backend.kubernetes} block with {@code keys}, defaults for the rest. */
  public static KubernetesBackendConfig kubernetes(Map<String, ?> keys) {
    return (KubernetesBackendConfig)
        worker(Map.of("worker_id", "w", "backend", Map.of("kubernetes", keys)), Map.of()).backend();
  }

  /** The {@code backend.direct} block with {@code keys}, defaults for the rest. */
  public static DirectBackendConfig direct(Map<String, ?> keys) {
    return (DirectBackendConfig)
        worker(Map.of("worker_id", "w", "backend", Map.of("direct", keys)), Map.of()).backend();
  }
}
