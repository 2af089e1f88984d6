package dev.ozworker.cli;

import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.Flags;
import dev.ozworker.config.LogLevel;
import dev.ozworker.config.WorkerConfigResolver;
import dev.ozworker.observe.LogSetup;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

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
    modelTransformer = KeyOptions.class,
    footer = {
      "",
      "Flags win over the config file, which wins over defaults. Configuration keys:"
          + " docs/configuration.md."
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

  /**
   * The command line for {@code args}: picocli builds a model of every subcommand it has, each with
   * every key's flag inherited, and a start of the worker spends a tenth of its time there
   * (picocli's classes are too old a class-file version for the AOT cache to hold). So only the
   * subcommand {@code args} begins with is added; anything else (help, {@code --version}, the
   * reference worker's form without a subcommand, a mistyped subcommand) gets all of them.
   */
  public CommandLine commandLine(String[] args) {
    CommandLine line = new CommandLine(this);
    String first = args.length == 0 ? "" : args[0];
    Map<String, Supplier<Object>> subcommands = subcommands();
    if (subcommands.containsKey(first)) {
      line.addSubcommand(subcommands.get(first).get());
    } else {
      subcommands.values().forEach(subcommand -> line.addSubcommand(subcommand.get()));
    }
    return line;
  }

  /** The subcommands by name, in the order help lists them. */
  private static Map<String, Supplier<Object>> subcommands() {
    Map<String, Supplier<Object>> subcommands = new LinkedHashMap<>();
    subcommands.put("check-config", CheckConfigCommand::new);
    subcommands.put("run", RunCommand::new);
    subcommands.put("demo", DemoCommand::new);
    subcommands.put("logs", LogsCommand::new);
    return subcommands;
  }

  /** The flags as given, for {@link dev.ozworker.config.WorkerConfigResolver}. */
  Flags flags() {
    return KeyOptions.given(
        spec,
        Optional.ofNullable(configFile)
            .map(file -> withHome(file, Path.of(System.getProperty("user.home")))));
  }

  /**
   * {@code file} with a leading {@code ~/} replaced by {@code home}, as the reference worker's flag
   * parser does (a shell leaves {@code --config-file=~/x} alone). The home is the account's, as
   * Go's {@code user.Current()} gives it, not {@code $HOME}.
   */
  static Path withHome(Path file, Path home) {
    String text = file.toString();
    return text.startsWith("~/") ? home.resolve(text.substring(2)) : file;
  }

  /** The backend {@code --backend} names, when it was given. */
  Optional<BackendKind> backendFlag() {
    return Optional.ofNullable(flags().given().get("--backend"))
        .flatMap(texts -> BackendKind.fromConfigName(texts.getLast()));
  }

  /** Whether {@code --log-level} was given. */
  boolean logLevelGiven() {
    return flags().given().containsKey("--log-level");
  }

  /** Sets up logging as {@code --log-level} and {@code --log-format} (or the file) ask. */
  public void configureLogging() {
    configureLogging(Optional.empty());
  }

  /** As {@link #configureLogging()}, at {@code unlessGiven} when no {@code --log-level} was. */
  void configureLogging(LogLevel unlessGiven) {
    configureLogging(Optional.of(unlessGiven));
  }

  private void configureLogging(Optional<LogLevel> unlessGiven) {
    Flags given = flags();
    LogSetup.apply(resolver.logLevel(given, unlessGiven), resolver.logFormat(given));
  }

  /**
   * Runs the worker, as {@code run} does: the reference worker has no subcommands, so its command
   * lines ({@code oz-agent-worker --api-key K --worker-id W}) must run one here too.
   */
  @Override
  public Integer call() throws ConfigException {
    return new RunCommand(this, spec).call();
  }
}
