package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.config.ConfigFixtures;
import dev.ozworker.config.EnvVar;
import dev.ozworker.task.TaskEnv;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentEnvironmentTest {
  static final Map<String, String> HOST =
      Map.of(
          "HOME", "/home/worker",
          "TMPDIR", "/tmp",
          "PATH", "/usr/bin:/bin",
          "WARP_API_KEY", "worker-key",
          "AWS_SECRET_ACCESS_KEY", "worker-aws");
  static final Path WS = Path.of("/ws/t1");
  static final Path GIT = WS.resolve(".gitconfig");

  static AgentEnvironment env(String harness) {
    return new AgentEnvironment(
        HOST,
        new TaskEnv(
            List.of(
                new TaskEnv.Entry("TASK_ID", "t1", false),
                new TaskEnv.Entry("GH_TOKEN", "task-token", true),
                new TaskEnv.Entry("SHARED", "from-task", false))),
        List.of(new EnvVar("SHARED", "from-operator"), new EnvVar("REPO", "r")),
        harness,
        WS,
        GIT,
        "t1");
  }

  @Test
  void theAgentGetsHomeTmpdirPathAndTheTaskEnvButNoCredentialOfTheWorker() {
    Map<String, String> agent = env("").agent(Map.of());

    assertThat(agent)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "HOME", "/home/worker",
                "TMPDIR", "/tmp",
                "PATH", "/usr/bin:/bin",
                "TASK_ID", "t1",
                "GH_TOKEN", "task-token",
                "SHARED", "from-operator",
                "REPO", "r",
                "GIT_CONFIG_GLOBAL", "/ws/t1/.gitconfig"));
  }

  @Test
  void setupValuesWinOverTheTaskEnvButNotOverTheGitConfig() {
    Map<String, String> agent =
        env("").agent(Map.of("SHARED", "from-setup", "GIT_CONFIG_GLOBAL", "/elsewhere", "X", "1"));

    assertThat(agent)
        .containsEntry("SHARED", "from-setup")
        .containsEntry("X", "1")
        .containsEntry("GIT_CONFIG_GLOBAL", "/ws/t1/.gitconfig");
  }

  /** The settings of a worker with {@link #HOST} that marks its AWS key secret. */
  static DirectSettings settings() {
    return new DirectSettings(
        Path.of("/usr/bin/oz"),
        ConfigFixtures.direct(Map.of("secret_env_names", List.of("AWS_SECRET_ACCESS_KEY"))),
        HOST,
        true,
        Path.of("/logs"),
        DirectSettings.DEFAULT_DRAIN,
        Optional.of("flag-given-key"),
        false);
  }

  @Test
  void hooksGetTheWorkersEnvironmentWithoutTheWorkersOwnSecrets() {
    assertThat(settings().hookHost())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("HOME", "/home/worker", "TMPDIR", "/tmp", "PATH", "/usr/bin:/bin"));
    assertThat(settings().ownSecretValues())
        .containsExactlyInAnyOrder("worker-key", "worker-aws", "flag-given-key");
  }

  @Test
  void setupGetsTheWorkersEnvironmentTheTaskEnvAndTheOzVariables() {
    Map<String, String> setup = env("").setup(WS.resolve("oz-env-1"));

    assertThat(setup)
        .containsEntry("AWS_SECRET_ACCESS_KEY", "worker-aws")
        .containsEntry("GH_TOKEN", "task-token")
        .containsEntry("OZ_WORKSPACE_ROOT", "/ws/t1")
        .containsEntry("OZ_WORKER_BACKEND", "direct")
        .containsEntry("OZ_RUN_ID", "t1")
        .containsEntry("OZ_ENVIRONMENT_FILE", "/ws/t1/oz-env-1")
        .containsEntry("GIT_CONFIG_GLOBAL", "/ws/t1/.gitconfig");
  }

  @Test
  void teardownGetsTheWorkersEnvironmentAndTheOzVariablesButNotTheTaskEnv() {
    Map<String, String> teardown = AgentEnvironment.teardown(HOST, WS, "t1");

    assertThat(teardown)
        .containsEntry("AWS_SECRET_ACCESS_KEY", "worker-aws")
        .containsEntry("OZ_RUN_ID", "t1")
        .containsEntry("OZ_WORKSPACE_ROOT", "/ws/t1")
        .doesNotContainKeys("GH_TOKEN", "TASK_ID", "OZ_ENVIRONMENT_FILE");
  }

  @Test
  void teardownsGitReadsNoGlobalConfigTheAgentCouldHaveWritten() {
    Map<String, String> host = new java.util.HashMap<>(HOST);
    host.put("GIT_CONFIG_COUNT", "1");
    host.put("GIT_CONFIG_KEY_0", "core.pager");

    Map<String, String> teardown = AgentEnvironment.teardown(host, WS, "t1");

    assertThat(teardown)
        .containsEntry("GIT_CONFIG_GLOBAL", "/dev/null")
        .containsEntry("GIT_CONFIG_COUNT", "3")
        .containsEntry("GIT_CONFIG_KEY_0", "core.hooksPath")
        .containsEntry("GIT_CONFIG_KEY_1", "core.fsmonitor")
        .doesNotContainValue(GIT.toString());
  }

  @Test
  void aThirdPartyHarnessKeepsItsStateInTheWorkspace() {
    assertThat(env("claude").agent(Map.of())).containsEntry("CLAUDE_CONFIG_DIR", "/ws/t1/.claude");
    assertThat(env("codex").agent(Map.of())).containsEntry("CODEX_HOME", "/ws/t1/.codex");
    assertThat(env("gemini").agent(Map.of())).doesNotContainKeys("CLAUDE_CONFIG_DIR", "CODEX_HOME");
  }
}
