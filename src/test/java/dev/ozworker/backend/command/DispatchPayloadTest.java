package dev.ozworker.backend.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.EnvVar;
import dev.ozworker.task.ResourceLimits;
import dev.ozworker.task.Sidecar;
import dev.ozworker.task.TaskEnv;
import dev.ozworker.task.TaskObject;
import dev.ozworker.task.TaskSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DispatchPayloadTest {
  static final String SECRET = "ghs_payloadSecret9021";

  static TaskSpec spec(Optional<String> ozTaskId) {
    return new TaskSpec(
        "run-7",
        ozTaskId,
        Optional.of("exec-3"),
        BackendKind.COMMAND,
        "ubuntu:22.04",
        new TaskEnv(
            List.of(
                new TaskEnv.Entry("PLAIN", "one", false),
                new TaskEnv.Entry("GITHUB_ACCESS_TOKEN", SECRET, true),
                new TaskEnv.Entry("PLAIN", "two", false))),
        List.of("agent", "run", "--task-id", "run-7"),
        List.of(new Sidecar("warp/agent:1", "/agent", false), new Sidecar("cache:2", "/c", true)),
        ResourceLimits.NONE,
        Duration.ZERO,
        "",
        TaskObject.named("run-7"));
  }

  static CommandSettings settings(Map<String, String> host, List<EnvVar> environment) {
    return new CommandSettings(
        "dispatch",
        Optional.empty(),
        Duration.ofSeconds(60),
        environment,
        host,
        "https://app.example.test",
        "w-1",
        Path.of("/tmp/logs"),
        Optional.of("wk-key"));
  }

  @Test
  void thePayloadIsVersionOneOfTheReferencesWithTheResolvedTask() throws Exception {
    JsonNode payload =
        new ObjectMapper()
            .readTree(
                DispatchPayload.bytes(
                    DispatchPayload.of(
                        spec(Optional.of("task-7")), "https://app.example.test", "w-1")));

    assertThat(payload.path("version").asInt()).isEqualTo(1);
    assertThat(payload.path("run_id").asText()).isEqualTo("run-7");
    assertThat(payload.path("execution_id").asText()).isEqualTo("exec-3");
    assertThat(payload.path("server_root_url").asText()).isEqualTo("https://app.example.test");
    assertThat(payload.path("worker_id").asText()).isEqualTo("w-1");
    assertThat(payload.path("docker_image").asText()).isEqualTo("ubuntu:22.04");
    assertThat(payload.path("base_args"))
        .extracting(JsonNode::asText)
        .containsExactly("agent", "run", "--task-id", "run-7");
    assertThat(payload.path("env").properties())
        .extracting(Map.Entry::getKey)
        .containsExactly("PLAIN", "GITHUB_ACCESS_TOKEN");
    assertThat(payload.path("env").path("PLAIN").asText())
        .as("a later entry wins")
        .isEqualTo("two");
    assertThat(payload.path("env").path("GITHUB_ACCESS_TOKEN").asText()).isEqualTo(SECRET);
    assertThat(payload.path("sidecars").get(1).path("mount_path").asText()).isEqualTo("/c");
    assertThat(payload.path("sidecars").get(1).path("read_write").asBoolean()).isTrue();
    assertThat(payload.path("sidecars").get(0).path("image").asText()).isEqualTo("warp/agent:1");
    assertThat(payload.path("task").path("id").asText()).isEqualTo("task-7");
  }

  @Test
  void aUserAuthoredTaskHasNoOzTask() throws Exception {
    JsonNode payload =
        new ObjectMapper()
            .readTree(DispatchPayload.bytes(DispatchPayload.of(spec(Optional.empty()), "", "w-1")));

    assertThat(payload.path("task").isNull()).isTrue();
  }

  @Test
  void theCommandsEnvironmentIsTheWorkersThenTheOperatorsThenTheFixedIdsAndNoTaskVariable() {
    CommandSettings settings =
        settings(
            Map.of("PATH", "/bin", "INHERITED", "host", "OZ_RUN_ID", "host"),
            List.of(
                new EnvVar("OPERATOR", "op"),
                new EnvVar("INHERITED", null),
                new EnvVar("OZ_WORKER_BACKEND", "operator-tries")));

    Map<String, String> env = settings.env(Dispatch.fixedEnv(spec(Optional.of("t")), settings));

    assertThat(env)
        .containsEntry("PATH", "/bin")
        .containsEntry("OPERATOR", "op")
        .containsEntry("INHERITED", "host")
        .containsEntry("OZ_RUN_ID", "run-7")
        .containsEntry("OZ_EXECUTION_ID", "exec-3")
        .containsEntry("OZ_WORKER_BACKEND", "command")
        .containsEntry("OZ_SERVER_ROOT_URL", "https://app.example.test")
        .containsEntry("OZ_DOCKER_IMAGE", "ubuntu:22.04")
        .doesNotContainKeys("PLAIN", "GITHUB_ACCESS_TOKEN");
    assertThat(env.values()).doesNotContain(SECRET);
  }
}
