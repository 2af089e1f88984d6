package dev.ozworker.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a config file says, checked strictly: unknown keys, wrong types, two backend blocks and
 * unparsable durations are errors. Keys the file leaves out stay empty here; defaults are applied
 * by {@link WorkerConfigResolver}.
 */
public record ConfigFile(
    Optional<String> workerId,
    Optional<Boolean> cleanup,
    Optional<Integer> maxConcurrentTasks,
    Optional<Duration> idleOnComplete,
    Optional<Duration> taskTimeout,
    Optional<Duration> cancelGracePeriod,
    Optional<Duration> finishedTaskTtl,
    Optional<String> namespace,
    Optional<Path> taskLogDir,
    Optional<BackendConfig> backend,
    Optional<Duration> shutdownGracePeriod,
    Optional<Integer> httpPort,
    Optional<LogFormat> logFormat) {

  public static final ConfigFile EMPTY =
      new ConfigFile(
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty());

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

  private static final Map<String, String> FLAG_ONLY =
      Map.of(
          "api_key", "the API key is never read from the file: pass --api-key or set WARP_API_KEY",
          "web_socket_url", "set it with --web-socket-url",
          "server_root_url", "set it with --server-root-url",
          "session_sharing_server_url", "set it with --session-sharing-server-url",
          "log_level", "set it with --log-level",
          "backend_type", "the backend is chosen by its block under 'backend' or by --backend");

  private static final String OTHER_BACKENDS =
      " is not supported by this worker: configure backend.docker or backend.direct instead";

  /**
   * Reads the file at {@code path}.
   *
   * @param env the worker's environment, for {@code environment} entries without a value
   */
  public static ConfigFile read(Path path, Map<String, String> env) throws ConfigException {
    String text;
    try {
      text = Files.readString(path);
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read config file "
              + path
              + " ("
              + e.getClass().getSimpleName()
              + "): check"
              + " --config-file");
    }
    return parse(text, path.toString(), env);
  }

  /** Parses {@code text}; {@code source} names the file in messages. */
  public static ConfigFile parse(String text, String source, Map<String, String> env)
      throws ConfigException {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (JacksonException e) {
      throw new ConfigException(
          source + " is not valid YAML: " + e.getOriginalMessage() + locationOf(e));
    } catch (IOException e) {
      throw new ConfigException(source + " cannot be read: " + e.getMessage());
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return EMPTY;
    }
    List<String> problems = new ArrayList<>();
    ConfigFile file =
        YamlMapping.asMapping("", root, problems).map(top -> fromTop(top, env)).orElse(EMPTY);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems.stream().map(p -> source + ": " + p).toList());
    }
    return file;
  }

  private static ConfigFile fromTop(YamlMapping top, Map<String, String> env) {
    var file =
        new ConfigFile(
            top.string("worker_id"),
            top.bool("cleanup"),
            top.count("max_concurrent_tasks", "no limit"),
            top.duration("idle_on_complete"),
            top.duration("task_timeout"),
            top.duration("cancel_grace_period"),
            top.duration("finished_task_ttl"),
            top.string("namespace"),
            top.string("task_log_dir").flatMap(dir -> absolute(top, "task_log_dir", dir)),
            top.mapping("backend").flatMap(backend -> backend(backend, env)),
            top.duration("shutdown_grace_period"),
            top.count("http_port", "a free port").flatMap(port -> port(top, port)),
            top.string("log_format").flatMap(format -> logFormat(top, format)));
    top.rejectUnknownKeys(FLAG_ONLY);
    return file;
  }

  private static Optional<Integer> port(YamlMapping top, int port) {
    if (port > 65535) {
      top.problem("http_port must be a TCP port (0-65535; 0 picks a free one), got " + port);
      return Optional.empty();
    }
    return Optional.of(port);
  }

  private static Optional<LogFormat> logFormat(YamlMapping top, String format) {
    Optional<LogFormat> named = LogFormat.named(format);
    if (named.isEmpty()) {
      top.problem("log_format must be text or json, got \"" + format + "\"");
    }
    return named;
  }

  private static Optional<BackendConfig> backend(YamlMapping backend, Map<String, String> env) {
    for (String unsupported : List.of("kubernetes", "command")) {
      if (backend.take(unsupported).isPresent()) {
        backend.problem(backend.keyPath(unsupported) + OTHER_BACKENDS);
      }
    }
    Optional<BackendConfig> docker = backend.mapping("docker").map(block -> docker(block, env));
    Optional<BackendConfig> direct = backend.mapping("direct").map(block -> direct(block, env));
    backend.rejectUnknownKeys(Map.of());
    if (docker.isPresent() && direct.isPresent()) {
      backend.problem(
          "backend has both a docker and a direct block: keep only the block of the backend this"
              + " worker runs");
    }
    return docker.or(() -> direct);
  }

  private static DockerBackendConfig docker(YamlMapping block, Map<String, String> env) {
    List<VolumeMount> volumes =
        VolumeMount.parseAll(
            block.strings("volumes"),
            i -> block.keyPath("volumes") + "[" + i + "]",
            block::problem);
    var defaults = DockerBackendConfig.defaults();
    var config =
        new DockerBackendConfig(
            volumes,
            environment(block, env),
            block.token("default_image"),
            block.token("sidecar_image"),
            block.tokenMap("coding_cli_sidecars"),
            block
                .string("image_pull_policy")
                .flatMap(policy -> pullPolicy(block, policy))
                .orElse(defaults.imagePullPolicy()),
            block.token("network_mode"),
            block.duration("sidecar_volume_max_age").orElse(defaults.sidecarVolumeMaxAge()));
    block.rejectUnknownKeys(Map.of());
    return config;
  }

  private static DirectBackendConfig direct(YamlMapping block, Map<String, String> env) {
    var defaults = DirectBackendConfig.defaults();
    var config =
        new DirectBackendConfig(
            block
                .string("workspace_root")
                .flatMap(root -> absolute(block, "workspace_root", root))
                .orElse(defaults.workspaceRoot()),
            block
                .string("target_dir")
                .filter(dir -> !dir.isEmpty())
                .flatMap(dir -> absolute(block, "target_dir", dir)),
            block.string("oz_path").filter(path -> !path.isEmpty()),
            block.string("setup_command").filter(command -> !command.isBlank()),
            block.string("teardown_command").filter(command -> !command.isBlank()),
            block.duration("teardown_timeout").orElse(defaults.teardownTimeout()),
            environment(block, env));
    block.rejectUnknownKeys(Map.of());
    return config;
  }

  private static List<EnvVar> environment(YamlMapping block, Map<String, String> env) {
    List<EnvVar> variables = new ArrayList<>();
    for (YamlMapping entry : block.mappings("environment")) {
      Optional<String> name = entry.string("name");
      Optional<String> value = entry.string("value");
      entry.rejectUnknownKeys(Map.of());
      if (name.isEmpty() || name.get().isEmpty()) {
        entry.problem(
            entry.keyPath("name") + " is required: the variable's name, e.g. HTTPS_PROXY");
      } else if (!EnvVar.isValidName(name.get())) {
        entry.problem(
            entry.keyPath("name") + " \"" + name.get() + "\" must not contain spaces, tabs or '='");
      } else {
        variables.add(new EnvVar(name.get(), value.orElse(env.getOrDefault(name.get(), ""))));
      }
    }
    return variables;
  }

  private static Optional<ImagePullPolicy> pullPolicy(YamlMapping block, String policy) {
    try {
      return Optional.of(ImagePullPolicy.valueOf(policy));
    } catch (IllegalArgumentException e) {
      block.problem(
          block.keyPath("image_pull_policy")
              + " \""
              + policy
              + "\" is not a pull policy: use Always, IfNotPresent or Never");
      return Optional.empty();
    }
  }

  private static Optional<Path> absolute(YamlMapping block, String key, String path) {
    if (!path.startsWith("/")) {
      block.problem(
          block.keyPath(key) + " \"" + path + "\" must be an absolute path (start with /)");
      return Optional.empty();
    }
    return Optional.of(Path.of(path).normalize());
  }

  private static String locationOf(JacksonException e) {
    var location = e.getLocation();
    return location == null || location.getLineNr() < 1
        ? ""
        : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }
}
