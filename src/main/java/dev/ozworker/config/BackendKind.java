package dev.ozworker.config;

import java.util.Arrays;
import java.util.Optional;

/** The backends this worker can run tasks on. */
public enum BackendKind {
  DOCKER("docker", DockerBackendConfig.class),
  DIRECT("direct", DirectBackendConfig.class),
  KUBERNETES("kubernetes", KubernetesBackendConfig.class),
  COMMAND("command", CommandBackendConfig.class);

  private final String configName;
  private final Class<? extends BackendConfig> settings;

  BackendKind(String configName, Class<? extends BackendConfig> settings) {
    this.configName = configName;
    this.settings = settings;
  }

  /** The name used in the config file, on the command line and in AgentTask specs. */
  public String configName() {
    return configName;
  }

  /** The record of the backend's block ({@code backend.<name>}), whose components are its keys. */
  Class<? extends BackendConfig> settings() {
    return settings;
  }

  public static Optional<BackendKind> fromConfigName(String name) {
    return Arrays.stream(values()).filter(kind -> kind.configName.equals(name)).findFirst();
  }

  @Override
  public String toString() {
    return configName;
  }
}
