package dev.ozworker.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Builds the {@link WorkerConfig} from the declared keys: a flag wins over the config file, which
 * wins over an environment variable, which wins over the default.
 */
public final class WorkerConfigResolver {
  private final Map<String, String> env;
  private final Path workingDirectory;

  /**
   * @param env the worker's environment: variables keys are read from ({@code WARP_API_KEY}, the
   *     pod's downward API) and values of task variables passed on without one
   * @param workingDirectory against which relative paths on the command line are resolved
   */
  public WorkerConfigResolver(Map<String, String> env, Path workingDirectory) {
    this.env = Map.copyOf(env);
    this.workingDirectory = workingDirectory;
  }

  /** Reads the config file named by the flags, if any, and resolves. */
  public WorkerConfig resolve(Flags flags) throws ConfigException {
    return resolve(file(flags), flags);
  }

  public WorkerConfig resolve(ConfigFile file, Flags flags) throws ConfigException {
    Resolution resolution = new Resolution(Schema.WORKER, file, flags, env, workingDirectory);
    WorkerConfig config =
        (WorkerConfig)
            resolution.resolve().orElseThrow(() -> new ConfigException(resolution.problems()));
    List<String> conflicts =
        Stream.of(
                namespaceConflict(config),
                WebSocketTransport.problem(config.webSocketUrl(), config.allowInsecureWebsocket()))
            .flatMap(Optional::stream)
            .toList();
    if (!conflicts.isEmpty()) {
      throw new ConfigException(conflicts);
    }
    return config;
  }

  /**
   * Whether the Kubernetes backend's namespace differs from the worker's, when the configuration
   * knows the worker's; else the backend checks it against the cluster's.
   */
  private static Optional<String> namespaceConflict(WorkerConfig config) {
    return config.backend() instanceof KubernetesBackendConfig kubernetes
        ? config.namespace().flatMap(kubernetes::namespaceProblem)
        : Optional.empty();
  }

  /**
   * The log format asked for, known before the rest of the configuration so that everything is
   * logged in it. A file that cannot be read counts as saying nothing here; resolving the
   * configuration reports its problems.
   */
  public LogFormat logFormat(Flags flags) {
    ConfigFile file;
    try {
      file = file(flags);
    } catch (ConfigException e) {
      file = ConfigFile.EMPTY;
    }
    return (LogFormat)
        partly(file, flags)
            .value("log_format")
            .or(() -> Schema.setting(Schema.WORKER, "log_format").byDefault())
            .orElseThrow();
  }

  /**
   * The log level, known before the rest of the configuration: the one asked for, else {@code
   * unlessGiven}, else the default.
   */
  public LogLevel logLevel(Flags flags, Optional<LogLevel> unlessGiven) {
    Resolution resolution = partly(ConfigFile.EMPTY, flags);
    return resolution.isGiven("log_level")
        ? (LogLevel) resolution.value("log_level").orElseThrow()
        : unlessGiven.orElseGet(
            () -> (LogLevel) Schema.setting(Schema.WORKER, "log_level").byDefault().orElseThrow());
  }

  /**
   * Where task logs are written, for reading them without a running worker: the config file's
   * {@code task_log_dir}, else the default. Needs neither API key nor worker id.
   */
  public Path taskLogDir(Flags flags) throws ConfigException {
    return (Path) partly(file(flags), flags).value("task_log_dir").orElseThrow();
  }

  /** A resolution whose problems elsewhere do not matter to the key asked for. */
  private Resolution partly(ConfigFile file, Flags flags) {
    Resolution resolution = new Resolution(Schema.WORKER, file, flags, env, workingDirectory);
    resolution.resolve();
    return resolution;
  }

  private ConfigFile file(Flags flags) throws ConfigException {
    return flags.configFile().isPresent()
        ? ConfigFile.read(flags.configFile().get(), env)
        : ConfigFile.EMPTY;
  }
}
