package dev.ozworker.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.ozworker.config.DirectBackendConfig;
import dev.ozworker.config.DockerBackendConfig;
import dev.ozworker.config.EnvVar;
import dev.ozworker.config.GoDuration;
import dev.ozworker.config.VolumeMount;
import dev.ozworker.config.WorkerConfig;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration in the config file's own keys, every default filled in. Secrets stay hidden:
 * the API key shows only whether it is set, environment variables only their names.
 */
final class EffectiveConfig {
  private static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  private EffectiveConfig() {}

  static String toYaml(WorkerConfig config) {
    Map<String, Object> top = new LinkedHashMap<>();
    top.put("worker_id", config.workerId());
    top.put("api_key", "(set, hidden)");
    top.put("web_socket_url", config.webSocketUrl().toString());
    top.put(
        "server_root_url",
        config.serverRootUrl().map(URI::toString).orElse("(empty: the agent's default)"));
    top.put("session_sharing_server_url", text(config.sessionSharingServerUrl()));
    top.put("log_level", config.logLevel().name());
    top.put("namespace", config.namespace().orElse("(the worker's own)"));
    top.put("cleanup", config.cleanup());
    top.put("max_concurrent_tasks", config.maxConcurrentTasks());
    top.put(
        "idle_on_complete",
        config.idleOnComplete().map(GoDuration::format).orElse("(the agent's default)"));
    top.put("task_timeout", duration(config.taskTimeout()));
    top.put("cancel_grace_period", duration(config.cancelGracePeriod()));
    top.put("finished_task_ttl", duration(config.finishedTaskTtl()));
    top.put("task_log_dir", config.taskLogDir().toString());
    top.put("shutdown_grace_period", GoDuration.format(config.shutdownGracePeriod()));
    top.put("http_port", config.httpPort());
    top.put("http_address", config.httpAddress());
    top.put("log_format", config.logFormat().name());
    top.put(
        "backend",
        Map.of(
            config.backend().kind().configName(),
            switch (config.backend()) {
              case DockerBackendConfig docker -> docker(docker);
              case DirectBackendConfig direct -> direct(direct);
            }));
    try {
      return YAML.writeValueAsString(top);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> docker(DockerBackendConfig docker) {
    Map<String, Object> block = new LinkedHashMap<>();
    block.put("volumes", docker.volumes().stream().map(VolumeMount::toBind).toList());
    block.put("environment", names(docker.environment()));
    block.put("default_image", docker.defaultImage().orElse("(from each assignment)"));
    block.put("sidecar_image", docker.sidecarImage().orElse("(from each assignment)"));
    block.put("coding_cli_sidecars", docker.codingCliSidecars());
    block.put("image_pull_policy", docker.imagePullPolicy().name());
    block.put("network_mode", docker.networkMode().orElse("(the engine's default)"));
    block.put("sidecar_volume_max_age", duration(docker.sidecarVolumeMaxAge()));
    return block;
  }

  private static Map<String, Object> direct(DirectBackendConfig direct) {
    Map<String, Object> block = new LinkedHashMap<>();
    block.put("workspace_root", direct.workspaceRoot().toString());
    block.put(
        "target_dir", direct.targetDir().map(Path::toString).orElse("(a workspace per task)"));
    block.put("oz_path", direct.ozPath().orElse("(oz on PATH)"));
    block.put("setup_command", text(direct.setupCommand()));
    block.put("teardown_command", text(direct.teardownCommand()));
    block.put("teardown_timeout", duration(direct.teardownTimeout()));
    block.put("environment", names(direct.environment()));
    return block;
  }

  private static List<Map<String, String>> names(List<EnvVar> environment) {
    return environment.stream()
        .map(variable -> Map.of("name", variable.name(), "value", "(hidden)"))
        .toList();
  }

  private static String duration(Duration duration) {
    return duration.isZero() ? "0s (no limit)" : GoDuration.format(duration);
  }

  private static String text(Optional<?> value) {
    return value.map(Object::toString).orElse("(none)");
  }
}
