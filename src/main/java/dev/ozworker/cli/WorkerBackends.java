package dev.ozworker.cli;

import dev.ozworker.backend.Backend;
import dev.ozworker.backend.direct.DirectBackend;
import dev.ozworker.backend.docker.DockerBackend;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.WorkerConfig;
import java.time.Clock;
import java.util.Map;

/** The backend a worker is configured with, connected. */
final class WorkerBackends {
  private WorkerBackends() {}

  /**
   * @param env the worker's environment (the Direct backend's host environment)
   * @throws ConfigException when the Direct backend's CLI or directories are missing, or the
   *     backend is not in this build
   * @throws IllegalStateException when no usable Docker engine answers, saying where it looked
   */
  static Backend create(WorkerConfig config, Map<String, String> env, Clock clock)
      throws ConfigException {
    return switch (config.backend().kind()) {
      case DIRECT -> DirectBackend.create(config, env);
      case DOCKER -> {
        try {
          yield DockerBackend.connect(config, clock);
        } catch (IllegalStateException e) {
          throw new IllegalStateException(
              "the docker backend cannot start: "
                  + e.getMessage()
                  + "; or run tasks as local processes with --backend direct",
              e);
        }
      }
      case KUBERNETES ->
          throw new ConfigException(
              "the kubernetes backend is not available in this build yet: configure"
                  + " backend.docker or backend.direct, or pass --backend docker or direct");
    };
  }
}
