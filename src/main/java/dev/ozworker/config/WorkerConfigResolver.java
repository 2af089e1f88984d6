package dev.ozworker.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Builds the {@link WorkerConfig}: flags win over the config file, which wins over defaults. */
public final class WorkerConfigResolver {
  private final Map<String, String> env;
  private final Path workingDirectory;

  /**
   * @param env the worker's environment: {@code WARP_API_KEY} and values of variables passed on
   *     without one
   * @param workingDirectory against which a relative {@code --target-dir} is resolved
   */
  public WorkerConfigResolver(Map<String, String> env, Path workingDirectory) {
    this.env = Map.copyOf(env);
    this.workingDirectory = workingDirectory;
  }

  /** Reads the config file named by the flags, if any, and resolves. */
  public WorkerConfig resolve(Flags flags) throws ConfigException {
    ConfigFile file =
        flags.configFile().isPresent()
            ? ConfigFile.read(flags.configFile().get(), env)
            : ConfigFile.EMPTY;
    return resolve(file, flags);
  }

  /**
   * The log format asked for, known before the rest of the configuration so that everything is
   * logged in it: the flag, else the config file's, else text. A file that cannot be read counts as
   * saying nothing here; resolving the configuration reports its problems.
   */
  public LogFormat logFormat(Flags flags) {
    if (flags.logFormat().isPresent() || flags.configFile().isEmpty()) {
      return flags.logFormat().orElse(WorkerConfig.DEFAULT_LOG_FORMAT);
    }
    try {
      return ConfigFile.read(flags.configFile().get(), env)
          .logFormat()
          .orElse(WorkerConfig.DEFAULT_LOG_FORMAT);
    } catch (ConfigException e) {
      return WorkerConfig.DEFAULT_LOG_FORMAT;
    }
  }

  /**
   * Where task logs are written, for reading them without a running worker: the config file's
   * {@code task_log_dir}, else the default. Needs neither API key nor worker id.
   */
  public Path taskLogDir(Flags flags) throws ConfigException {
    ConfigFile file =
        flags.configFile().isPresent()
            ? ConfigFile.read(flags.configFile().get(), env)
            : ConfigFile.EMPTY;
    return file.taskLogDir().orElse(WorkerConfig.DEFAULT_TASK_LOG_DIR);
  }

  public WorkerConfig resolve(ConfigFile file, Flags flags) throws ConfigException {
    List<String> problems = new ArrayList<>();
    // In a pod, each replica is a worker named after its pod (downward API).
    String workerId =
        workerId(
            flags.workerId().or(file::workerId).or(() -> downward(WorkerConfig.POD_NAME_ENV)),
            problems);
    Optional<ApiKey> apiKey =
        flags
            .apiKey()
            .or(() -> Optional.ofNullable(env.get(WorkerConfig.API_KEY_ENV)))
            .filter(key -> !key.isBlank())
            .map(ApiKey::new);
    if (apiKey.isEmpty()) {
      problems.add("the Oz API key is missing: pass --api-key or set " + WorkerConfig.API_KEY_ENV);
    }
    URI webSocketUrl =
        url("--web-socket-url", flags.webSocketUrl(), Set.of("ws", "wss"), problems)
            .orElse(WorkerConfig.DEFAULT_WEB_SOCKET_URL);
    // An explicitly empty root, as in the reference, leaves the agent on its built-in default.
    Optional<URI> serverRootUrl =
        flags.serverRootUrl().filter(String::isBlank).isPresent()
            ? Optional.empty()
            : Optional.of(
                url("--server-root-url", flags.serverRootUrl(), Set.of("http", "https"), problems)
                    .orElse(WorkerConfig.DEFAULT_SERVER_ROOT_URL));
    Optional<URI> sessionSharingUrl =
        url(
            "--session-sharing-server-url",
            flags.sessionSharingServerUrl(),
            Set.of("ws", "wss", "http", "https"),
            problems);
    Optional<Duration> idleOnComplete =
        flags.idleOnComplete().isPresent()
            ? YamlMapping.duration("--idle-on-complete", flags.idleOnComplete().get(), problems)
            : file.idleOnComplete();
    int maxConcurrentTasks =
        flags
            .maxConcurrentTasks()
            .or(file::maxConcurrentTasks)
            .orElse(WorkerConfig.DEFAULT_MAX_CONCURRENT_TASKS);
    if (maxConcurrentTasks < 0) {
      problems.add(
          "--max-concurrent-tasks must be 0 or more (0 = no limit), got " + maxConcurrentTasks);
    }
    Optional<String> namespace =
        flags.namespace().or(file::namespace).or(() -> downward(WorkerConfig.POD_NAMESPACE_ENV));
    namespace
        .filter(name -> !KubernetesNames.isDnsLabel(name))
        .ifPresent(
            name ->
                problems.add(
                    "namespace \""
                        + name
                        + "\" is not a Kubernetes namespace name: use at most 63 lower-case"
                        + " letters, digits or '-', starting and ending with a letter or digit"
                        + " (--namespace / namespace)"));
    BackendConfig backend = backend(file, flags, problems);
    Duration shutdownGracePeriod =
        flags
            .shutdownGracePeriod()
            .flatMap(given -> YamlMapping.duration("--shutdown-grace-period", given, problems))
            .or(file::shutdownGracePeriod)
            .orElse(WorkerConfig.DEFAULT_SHUTDOWN_GRACE_PERIOD);
    if (shutdownGracePeriod.isZero()) {
      problems.add(
          "shutdown_grace_period / --shutdown-grace-period must be more than 0s: the worker needs"
              + " time to report its results before it exits");
    }
    int httpPort = flags.httpPort().or(file::httpPort).orElse(WorkerConfig.DEFAULT_HTTP_PORT);
    if (httpPort < 0 || httpPort > 65535) {
      problems.add("--http-port must be a TCP port (0-65535; 0 picks a free one), got " + httpPort);
    }
    String httpAddress = flags.httpAddress().orElse(WorkerConfig.DEFAULT_HTTP_ADDRESS);
    if (httpAddress.isBlank()) {
      problems.add("--http-address is empty: give an address such as 0.0.0.0 or 127.0.0.1");
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new WorkerConfig(
        workerId,
        apiKey.orElseThrow(),
        webSocketUrl,
        serverRootUrl,
        sessionSharingUrl,
        flags.logLevel().orElse(WorkerConfig.DEFAULT_LOG_LEVEL),
        namespace,
        !flags.noCleanup() && file.cleanup().orElse(WorkerConfig.DEFAULT_CLEANUP),
        maxConcurrentTasks,
        idleOnComplete,
        file.taskTimeout().orElse(WorkerConfig.DEFAULT_TASK_TIMEOUT),
        file.cancelGracePeriod().orElse(WorkerConfig.DEFAULT_CANCEL_GRACE_PERIOD),
        file.finishedTaskTtl().orElse(WorkerConfig.DEFAULT_FINISHED_TASK_TTL),
        file.taskLogDir().orElse(WorkerConfig.DEFAULT_TASK_LOG_DIR),
        backend,
        shutdownGracePeriod,
        downward(WorkerConfig.POD_NAME_ENV),
        downward(WorkerConfig.NODE_NAME_ENV),
        httpPort,
        httpAddress,
        flags.logFormat().or(file::logFormat).orElse(WorkerConfig.DEFAULT_LOG_FORMAT));
  }

  private Optional<String> downward(String variable) {
    return Optional.ofNullable(env.get(variable)).map(String::trim).filter(v -> !v.isEmpty());
  }

  private static String workerId(Optional<String> given, List<String> problems) {
    String workerId = given.map(String::trim).orElse("");
    if (workerId.isEmpty()) {
      problems.add(
          "the worker id is missing: pass --worker-id, set worker_id in the config file, or"
              + " set POD_NAME");
    } else if (workerId.startsWith("warp")) {
      problems.add(
          "worker id \""
              + workerId
              + "\" is reserved: ids starting with 'warp' belong to Oz;"
              + " choose another --worker-id / worker_id");
    } else if (!KubernetesNames.isLabelValue(workerId)) {
      // The worker id labels every AgentTask it owns.
      problems.add(
          "worker id \""
              + workerId
              + "\" cannot label Kubernetes resources: use at most 63"
              + " letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
    }
    return workerId;
  }

  private static Optional<URI> url(
      String flag, Optional<String> given, Set<String> schemes, List<String> problems) {
    if (given.isEmpty()) {
      return Optional.empty();
    }
    String text = given.get().trim();
    try {
      URI uri = new URI(text);
      if (uri.getScheme() != null && schemes.contains(uri.getScheme()) && uri.getHost() != null) {
        return Optional.of(uri);
      }
    } catch (URISyntaxException e) {
      // reported below, with the accepted schemes
    }
    problems.add(
        flag
            + " \""
            + text
            + "\" is not an absolute URL with scheme "
            + String.join(" or ", schemes.stream().sorted().toList()));
    return Optional.empty();
  }

  private BackendConfig backend(ConfigFile file, Flags flags, List<String> problems) {
    Optional<BackendKind> inFile = file.backend().map(BackendConfig::kind);
    BackendKind kind = flags.backend().or(() -> inFile).orElse(WorkerConfig.DEFAULT_BACKEND);
    if (inFile.isPresent() && inFile.get() != kind) {
      problems.add(
          "--backend "
              + kind
              + " conflicts with the backend."
              + inFile.get()
              + " block of the config file: drop the flag or configure backend."
              + kind);
    }
    Map<String, String> cliEnv = cliEnv(flags.env(), problems);
    return switch (kind) {
      case DOCKER -> docker(file, flags, cliEnv, problems);
      case DIRECT -> direct(file, flags, cliEnv, problems);
    };
  }

  private DockerBackendConfig docker(
      ConfigFile file, Flags flags, Map<String, String> cliEnv, List<String> problems) {
    DockerBackendConfig docker =
        blockOf(file, DockerBackendConfig.class).orElseGet(DockerBackendConfig::defaults);
    flags.targetDir().ifPresent(dir -> problems.add(onlyFor("--target-dir", BackendKind.DIRECT)));
    List<VolumeMount> volumes = new ArrayList<>(docker.volumes());
    volumes.addAll(VolumeMount.parseAll(flags.volumes(), i -> "--volumes", problems::add));
    return new DockerBackendConfig(
        volumes,
        overlay(docker.environment(), cliEnv),
        docker.defaultImage(),
        docker.sidecarImage(),
        docker.codingCliSidecars(),
        docker.imagePullPolicy(),
        docker.networkMode(),
        docker.sidecarVolumeMaxAge());
  }

  private DirectBackendConfig direct(
      ConfigFile file, Flags flags, Map<String, String> cliEnv, List<String> problems) {
    DirectBackendConfig direct =
        blockOf(file, DirectBackendConfig.class).orElseGet(DirectBackendConfig::defaults);
    if (!flags.volumes().isEmpty()) {
      problems.add(onlyFor("--volumes", BackendKind.DOCKER));
    }
    Optional<Path> targetDir =
        flags
            .targetDir()
            .filter(dir -> !dir.isBlank())
            .map(dir -> workingDirectory.resolve(dir).normalize())
            .or(direct::targetDir);
    return new DirectBackendConfig(
        direct.workspaceRoot(),
        targetDir,
        direct.ozPath(),
        direct.setupCommand(),
        direct.teardownCommand(),
        direct.teardownTimeout(),
        overlay(direct.environment(), cliEnv));
  }

  private static <T extends BackendConfig> Optional<T> blockOf(ConfigFile file, Class<T> type) {
    return file.backend().filter(type::isInstance).map(type::cast);
  }

  private static String onlyFor(String flag, BackendKind kind) {
    return flag
        + " applies to the "
        + kind
        + " backend only: drop it or run with --backend "
        + kind;
  }

  /** {@code -e KEY=VALUE} sets a value; {@code -e KEY} passes the worker's own value on. */
  private Map<String, String> cliEnv(List<String> entries, List<String> problems) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String entry : entries) {
      int equals = entry.indexOf('=');
      String name = equals < 0 ? entry : entry.substring(0, equals);
      if (!EnvVar.isValidName(name)) {
        problems.add(
            "--env \""
                + entry
                + "\": expected KEY=VALUE or KEY, with a KEY free of spaces and tabs");
        continue;
      }
      values.put(name, equals < 0 ? env.getOrDefault(name, "") : entry.substring(equals + 1));
    }
    return values;
  }

  /** The file's variables in order, values replaced by the flags', then the flags' new ones. */
  private static List<EnvVar> overlay(List<EnvVar> fromFile, Map<String, String> fromFlags) {
    Map<String, String> merged = new LinkedHashMap<>();
    fromFile.forEach(variable -> merged.put(variable.name(), variable.value()));
    merged.putAll(fromFlags);
    return merged.entrySet().stream()
        .map(variable -> new EnvVar(variable.getKey(), variable.getValue()))
        .toList();
  }
}
