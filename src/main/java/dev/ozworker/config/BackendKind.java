package dev.ozworker.config;

import java.util.Arrays;
import java.util.Optional;

/** The backends this worker can run tasks on. */
public enum BackendKind {
  DOCKER("docker"),
  DIRECT("direct");

  private final String configName;

  BackendKind(String configName) {
    this.configName = configName;
  }

  /** The name used in the config file, on the command line and in AgentTask specs. */
  public String configName() {
    return configName;
  }

  public static Optional<BackendKind> fromConfigName(String name) {
    return Arrays.stream(values()).filter(kind -> kind.configName.equals(name)).findFirst();
  }

  @Override
  public String toString() {
    return configName;
  }
}
