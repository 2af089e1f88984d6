package dev.ozworker.cli;

import dev.ozworker.config.BackendKind;
import dev.ozworker.config.Flags;
import dev.ozworker.config.LogFormat;
import dev.ozworker.config.LogLevel;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.config.WorkerConfigResolver;
import dev.ozworker.observe.LogSetup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * The top-level command. Its options are the reference worker's flags (plus a few of ours); every
 * subcommand inherits them.
 */
@Command(
    name = "oz-worker-operator",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Self-hosted Oz worker as a Kubernetes operator: each task assignment from Oz becomes an"
          + " AgentTask resource, run by the Docker or Direct backend, its result reported to Oz.",
      ""
    },
    subcommands = {
      CheckConfigCommand.class,
      RunCommand.class,
      DemoCommand.class,
      LogsCommand.class
    },
    footer = {
      "",
      "Flags win over the config file, which wins over defaults. Configuration keys: README.md."
    })
public final class OzWorkerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  final WorkerConfigResolver resolver;
  final Map<String, String> environment;

  /** {@code resolver} turns these flags into the worker's configuration. */
  public OzWorkerCommand(WorkerConfigResolver resolver) {
    this(resolver, Map.of());
  }

  /**
   * @param env the worker's environment: where the cluster is ({@code KUBECONFIG}, in-cluster) and
   *     what the Direct backend's commands inherit
   */
  public OzWorkerCommand(WorkerConfigResolver resolver, Map<String, String> env) {
    this.resolver = resolver;
    this.environment = Map.copyOf(env);
  }

  @Option(
      names = "--config-file",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description = "Path to YAML config file.")
  Path configFile;

  @Option(
      names = "--backend",
      paramLabel = "docker|direct",
      converter = BackendKindConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "Backend type (docker or direct); default: the config file's block, else docker.")
  BackendKind backend;

  @Option(
      names = "--api-key",
      paramLabel = "KEY",
      scope = ScopeType.INHERIT,
      description =
          "API key for authentication; default: env WARP_API_KEY (preferred: a flag is visible in"
              + " the process list).")
  String apiKey;

  @Option(
      names = "--worker-id",
      paramLabel = "ID",
      scope = ScopeType.INHERIT,
      description = "Worker host identifier (required via flag or config file).")
  String workerId;

  @Option(
      names = "--web-socket-url",
      paramLabel = "URL",
      scope = ScopeType.INHERIT,
      description = "Oz worker endpoint; default: wss://oz.warp.dev/api/v1/selfhosted/worker/ws.")
  String webSocketUrl;

  @Option(
      names = "--server-root-url",
      paramLabel = "URL",
      scope = ScopeType.INHERIT,
      description = "Oz server root passed to the agent; default: https://app.warp.dev.")
  String serverRootUrl;

  @Option(
      names = "--log-level",
      paramLabel = "debug|info|warn|error",
      scope = ScopeType.INHERIT,
      description = "Log level; default: info.")
  LogLevel logLevel;

  @Option(
      names = "--target-dir",
      paramLabel = "DIR",
      scope = ScopeType.INHERIT,
      description =
          "Run all tasks in this directory instead of creating per-task workspaces (direct"
              + " backend only).")
  String targetDir;

  @Option(
      names = "--no-cleanup",
      scope = ScopeType.INHERIT,
      description = "Do not remove containers or workspaces after execution (for debugging).")
  boolean noCleanup;

  @Option(
      names = {"-v", "--volumes"},
      paramLabel = "HOST:CONTAINER[:MODE]",
      scope = ScopeType.INHERIT,
      description = "Volume mounts for task containers (docker backend only); repeatable.")
  List<String> volumes = new ArrayList<>();

  @Option(
      names = {"-e", "--env"},
      paramLabel = "KEY[=VALUE]",
      scope = ScopeType.INHERIT,
      description =
          "Environment variables for tasks: KEY=VALUE, or KEY to pass through the worker's own"
              + " value; repeatable.")
  List<String> env = new ArrayList<>();

  @Option(
      names = "--max-concurrent-tasks",
      paramLabel = "N",
      scope = ScopeType.INHERIT,
      description = "Maximum number of tasks to run concurrently (0 for unlimited).")
  Integer maxConcurrentTasks;

  @Option(
      names = "--idle-on-complete",
      paramLabel = "DURATION",
      scope = ScopeType.INHERIT,
      description =
          "How long to keep the agent alive after a task completes, for follow-ups (e.g. 45m,"
              + " 10m, 0s); default: the agent's own (45m).")
  String idleOnComplete;

  @Option(
      names = "--session-sharing-server-url",
      paramLabel = "URL",
      scope = ScopeType.INHERIT,
      description = "Session sharing server URL passed through to the agent.")
  String sessionSharingServerUrl;

  @Option(
      names = "--namespace",
      paramLabel = "NAMESPACE",
      scope = ScopeType.INHERIT,
      description =
          "Namespace of this worker's AgentTasks and their Secrets; default: the worker's own.")
  String namespace;

  @Option(
      names = "--shutdown-grace-period",
      paramLabel = "DURATION",
      scope = ScopeType.INHERIT,
      description =
          "How long the worker may take to drain after SIGTERM before it must have exited (match"
              + " the pod's terminationGracePeriodSeconds); default: 30s.")
  String shutdownGracePeriod;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      scope = ScopeType.INHERIT,
      description = "Port of /metrics, /healthz and /readyz (0 picks a free one); default: 9090.")
  Integer httpPort;

  @Option(
      names = "--http-address",
      paramLabel = "ADDRESS",
      scope = ScopeType.INHERIT,
      description = "Address the HTTP port is bound on; default: 0.0.0.0 (all interfaces).")
  String httpAddress;

  @Option(
      names = "--log-format",
      paramLabel = "text|json",
      converter = LogFormatConverter.class,
      scope = ScopeType.INHERIT,
      description = "Log lines as text or as JSON objects (for log shippers); default: text.")
  LogFormat logFormat;

  /** The flags as given, for {@link dev.ozworker.config.WorkerConfigResolver}. */
  Flags flags() {
    return new Flags(
        Optional.ofNullable(configFile),
        Optional.ofNullable(backend),
        Optional.ofNullable(apiKey),
        Optional.ofNullable(workerId),
        Optional.ofNullable(webSocketUrl),
        Optional.ofNullable(serverRootUrl),
        Optional.ofNullable(logLevel),
        Optional.ofNullable(targetDir),
        noCleanup,
        volumes,
        env,
        Optional.ofNullable(maxConcurrentTasks),
        Optional.ofNullable(idleOnComplete),
        Optional.ofNullable(sessionSharingServerUrl),
        Optional.ofNullable(namespace),
        Optional.ofNullable(shutdownGracePeriod),
        Optional.ofNullable(httpPort),
        Optional.ofNullable(httpAddress),
        Optional.ofNullable(logFormat));
  }

  /** Sets up logging as {@code --log-level} and {@code --log-format} (or the file) ask. */
  public void configureLogging() {
    configureLogging(WorkerConfig.DEFAULT_LOG_LEVEL);
  }

  /** As {@link #configureLogging()}, at {@code unlessGiven} when no {@code --log-level} was. */
  void configureLogging(LogLevel unlessGiven) {
    Flags given = flags();
    LogSetup.apply(given.logLevel().orElse(unlessGiven), resolver.logFormat(given));
  }

  @Override
  public Integer call() {
    throw new ParameterException(
        spec.commandLine(), "Missing command: see the commands listed below.");
  }

  /** Accepts the log formats as they are written in the config file. */
  static final class LogFormatConverter implements ITypeConverter<LogFormat> {
    @Override
    public LogFormat convert(String value) {
      return LogFormat.named(value)
          .orElseThrow(() -> new TypeConversionException("'" + value + "': use text or json"));
    }
  }

  /** Accepts the backend names as they are written in the config file. */
  static final class BackendKindConverter implements ITypeConverter<BackendKind> {
    @Override
    public BackendKind convert(String value) {
      return BackendKind.fromConfigName(value)
          .orElseThrow(() -> new TypeConversionException("'" + value + "': use docker or direct"));
    }
  }
}
