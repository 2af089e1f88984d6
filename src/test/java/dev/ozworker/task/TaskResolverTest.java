package dev.ozworker.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Properties of resolution that a table row cannot show. */
class TaskResolverTest {
  static final Map<String, String> WORKER_ENV = Map.of("WARP_API_KEY", "worker-key");

  final WorkerConfig config = WorkerConfigs.resolve("", WORKER_ENV, "--worker-id=w1");

  TaskResolverTest() throws Exception {}

  @Test
  void resolvesTheHelloExampleAsTheReadmeDescribesIt() throws Exception {
    AgentTask hello =
        Serialization.unmarshal(
            Files.readString(Path.of("examples", "agenttask-hello.yaml")), AgentTask.class);

    TaskSpec spec =
        new TaskResolver(config).resolve(hello.getMetadata().getName(), hello.getSpec(), Map.of());

    assertThat(spec.runId()).isEqualTo("hello");
    assertThat(spec.ozTaskId()).isEmpty();
    assertThat(spec.ozArgs())
        .containsExactly(
            "agent",
            "run",
            "--prompt",
            hello.getSpec().getPrompt(),
            "--sandboxed",
            "--server-root-url",
            "https://app.warp.dev",
            "--idle-on-complete",
            "0s");
    assertThat(spec.timeout()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void carriesTheTaskObjectAndTheSecretItNamesForBackendsThatMakeObjects() throws Exception {
    AgentTaskSpec task = new AgentTaskSpec();
    task.setTaskId("7c9e6679-7425-40de-944b-e07fc1f90ae7");
    task.setEnvFrom(new dev.ozworker.api.EnvSource("t-env"));
    TaskObject object = new TaskObject("oz", "t", "uid-1", java.util.Optional.empty());

    TaskSpec spec = new TaskResolver(config).resolve(object, task, Map.of("A_TOKEN", "1"));

    assertThat(spec.object())
        .isEqualTo(new TaskObject("oz", "t", "uid-1", java.util.Optional.of("t-env")));
    assertThat(spec.runId()).isEqualTo("7c9e6679-7425-40de-944b-e07fc1f90ae7");
  }

  @Test
  void givesTheSameAnswerWhateverOrderTheSecretIsReadIn() throws Exception {
    AgentTaskSpec task = new AgentTaskSpec();
    task.setPrompt("p");
    Map<String, String> forwards = new LinkedHashMap<>();
    forwards.put("A_TOKEN", "1");
    forwards.put("B_TOKEN", "2");
    Map<String, String> backwards = new TreeMap<>(java.util.Comparator.reverseOrder());
    backwards.putAll(forwards);
    TaskResolver resolver = new TaskResolver(config);

    assertThat(resolver.resolve("t", task, forwards))
        .isEqualTo(resolver.resolve("t", task, backwards));
  }

  @Test
  void neverShowsSecretValuesWhenPrinted() throws Exception {
    AgentTaskSpec task = new AgentTaskSpec();
    task.setTaskId("7c9e6679-7425-40de-944b-e07fc1f90ae7");
    Map<String, String> secretEnv = Map.of("GITHUB_ACCESS_TOKEN", "ghs_very_secret");

    TaskSpec spec = new TaskResolver(config).resolve("t", task, secretEnv);

    assertThat(spec.env().secretValues()).containsExactly("ghs_very_secret");
    assertThat(spec.env().asMap()).containsEntry("GITHUB_ACCESS_TOKEN", "ghs_very_secret");
    assertThat(spec.toString())
        .contains("GITHUB_ACCESS_TOKEN=(secret)", "GIT_TERMINAL_PROMPT=0")
        .doesNotContain("ghs_very_secret");
  }

  @Test
  void takesTheImagesOfAKubernetesBlock() throws Exception {
    WorkerConfig kubernetes =
        WorkerConfigs.resolve(
            """
            backend:
              kubernetes:
                default_image: ghcr.io/acme/base:2
                sidecar_image: ghcr.io/acme/agent:3
                coding_cli_sidecars: {claude: ghcr.io/acme/claude:4}
            """,
            WORKER_ENV,
            "--worker-id=w1");
    AgentTaskSpec task =
        Serialization.unmarshal(
            """
            taskId: 7c9e6679-7425-40de-944b-e07fc1f90ae7
            sidecarImage: oz/agent:1
            agentConfig: {harness: {type: claude}}
            """,
            AgentTaskSpec.class);

    TaskSpec spec = new TaskResolver(kubernetes).resolve("t", task, Map.of());

    assertThat(spec.image()).isEqualTo("ghcr.io/acme/base:2");
    assertThat(spec.sidecars())
        .containsExactly(
            new Sidecar("ghcr.io/acme/agent:3", TaskResolver.AGENT_MOUNT_PATH, false),
            new Sidecar("ghcr.io/acme/claude:4", "/mnt/claude-cli-sidecar", false));
  }

  @Test
  void aDirectWorkerResolvesWithTheDockerDefaults() throws Exception {
    WorkerConfig direct =
        WorkerConfigs.resolve("", WORKER_ENV, "--worker-id=w1", "--backend=direct");
    AgentTaskSpec task = new AgentTaskSpec();
    task.setPrompt("p");

    assertThat(new TaskResolver(direct).resolve("t", task, Map.of()).image())
        .isEqualTo(TaskResolver.FALLBACK_IMAGE);
  }

  @Test
  void aLaterVariableWinsInTheMapView() {
    TaskEnv env =
        new TaskEnv(
            java.util.List.of(
                new TaskEnv.Entry("GIT_TERMINAL_PROMPT", "0", false),
                new TaskEnv.Entry("GIT_TERMINAL_PROMPT", "1", true),
                new TaskEnv.Entry("EMPTY", "", true)));

    assertThat(env.asMap())
        .containsExactly(Map.entry("GIT_TERMINAL_PROMPT", "1"), Map.entry("EMPTY", ""));
    assertThat(env.secretValues()).containsExactly("1");
  }
}
