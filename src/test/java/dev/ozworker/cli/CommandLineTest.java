package dev.ozworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line as an operator meets it: help, errors and the effective configuration. */
class CommandLineTest {
  static final String SECRET = "wk-live-0123456789abcdef";

  record Outcome(int status, String out, String err) {}

  static Outcome run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status =
        Main.execute(args, env, Path.of("/srv"), new PrintWriter(out), new PrintWriter(err));
    return new Outcome(status, out.toString(), err.toString());
  }

  @ParameterizedTest(name = "--help lists {0}")
  @ValueSource(
      strings = {
        "--config-file",
        "--backend",
        "--api-key",
        "--worker-id",
        "--web-socket-url",
        "--server-root-url",
        "--log-level",
        "--target-dir",
        "--no-cleanup",
        "-v, --volumes",
        "-e, --env",
        "--max-concurrent-tasks",
        "--idle-on-complete",
        "--session-sharing-server-url",
        "--http-port",
        "--http-address",
        "--log-format",
        "check-config",
        "logs"
      })
  void helpListsEveryReferenceFlag(String flag) {
    Outcome help = run(Map.of(), "--help");
    assertThat(help.status()).isZero();
    assertThat(help.out()).contains(flag);
  }

  @Test
  void versionNamesTheProgram() {
    Outcome version = run(Map.of(), "--version");
    assertThat(version.status()).isZero();
    assertThat(version.out()).startsWith("oz-worker-operator ");
  }

  @Test
  void checkConfigPrintsTheEffectiveConfigurationWithoutSecrets(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("worker.yaml");
    Files.writeString(
        file,
        """
        worker_id: pool-a-1
        max_concurrent_tasks: 3
        backend:
          direct:
            environment: [{name: GITHUB_TOKEN, value: ghp_FILESECRET}]
        """);

    Outcome check =
        run(
            Map.of("WARP_API_KEY", SECRET, "PASSED", "ENVSECRET"),
            "--config-file",
            file.toString(),
            "-e",
            "PASSED",
            "--web-socket-url",
            "wss://pool:URLSECRET@oz.example/ws",
            "check-config");

    assertThat(check.status()).as(check.err()).isZero();
    assertThat(check.out())
        .contains(
            "worker_id: pool-a-1",
            "max_concurrent_tasks: 3",
            "direct:",
            "workspace_root: /var/lib/oz/workspaces",
            "name: GITHUB_TOKEN",
            "name: PASSED",
            "task_timeout: 24h",
            "task_log_dir: /var/lib/oz/logs",
            "web_socket_url: wss://oz.example/ws")
        .doesNotContain(SECRET, "ghp_FILESECRET", "ENVSECRET", "URLSECRET");
  }

  @Test
  void checkConfigAcceptsFlagsAfterTheCommandToo() {
    Outcome check =
        run(
            Map.of("WARP_API_KEY", SECRET),
            "check-config",
            "--worker-id",
            "w2",
            "--backend",
            "direct");
    assertThat(check.status()).as(check.err()).isZero();
    assertThat(check.out()).contains("worker_id: w2", "direct:");
  }

  @Test
  void checkConfigSaysWhatAnEmptyServerRootUrlMeans() {
    Outcome check =
        run(Map.of("WARP_API_KEY", SECRET), "--worker-id=w3", "--server-root-url=", "check-config");

    assertThat(check.status()).as(check.err()).isZero();
    assertThat(check.out()).contains("server_root_url: \"(empty: the agent's default)\"");
  }

  @Test
  void checkConfigSaysWhatAZeroDurationMeansForEachKeyAndWhereTheWorkerRuns(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("worker.yaml");
    Files.writeString(file, "task_timeout: 0s\nfinished_task_ttl: 0s\ncancel_grace_period: 0s\n");

    Outcome check =
        run(
            Map.of("WARP_API_KEY", SECRET, "POD_NAME", "pool-7f-x2"),
            "--config-file",
            file.toString(),
            "check-config");

    assertThat(check.status()).as(check.err()).isZero();
    assertThat(check.out())
        .contains(
            "worker_id: pool-7f-x2",
            "pod_name: pool-7f-x2",
            "node_name: (not in a pod)",
            "task_timeout: 0s (no limit)",
            "finished_task_ttl: 0s (kept forever)",
            "cancel_grace_period: 0s\n");
  }

  @Test
  void checkConfigShowsTheKubernetesBlockWithItsStructures(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("worker.yaml");
    Files.writeString(
        file,
        """
        backend:
          kubernetes:
            extra_labels: {team: infra}
            pod_template: {serviceAccountName: oz-tasks, nodeSelector: {pool: agents}}
            environment: [{name: GITHUB_TOKEN, value: ghp_FILESECRET}]
        """);

    Outcome check =
        run(
            Map.of("WARP_API_KEY", SECRET, "POD_NAME", "w"),
            "--config-file",
            file.toString(),
            "check-config");

    assertThat(check.status()).as(check.err()).isZero();
    assertThat(check.out())
        .contains(
            "backend:\n  kubernetes:\n    namespace: (the worker's own)\n",
            "    extra_labels:\n      team: infra\n",
            "    pod_template:\n      serviceAccountName: oz-tasks\n      nodeSelector:\n"
                + "        pool: agents\n",
            "    preflight_resources:\n      requests:\n        cpu: 10m\n",
            "name: GITHUB_TOKEN")
        .doesNotContain(SECRET, "ghp_FILESECRET");
  }

  @Test
  void checkConfigExitsTwoNamingEveryProblem() {
    Outcome check =
        run(Map.of(), "--worker-id", "warp-x", "--idle-on-complete", "soon", "check-config");
    assertThat(check.status()).isEqualTo(2);
    assertThat(check.err())
        .contains(
            "oz-worker-operator: invalid configuration: 3 problems",
            "reserved",
            "--idle-on-complete \"soon\"",
            "WARP_API_KEY");
    assertThat(check.out()).isEmpty();
  }

  @Test
  void badFlagValuesAreUsageErrorsNamingTheFlag() {
    Outcome backend = run(Map.of(), "--backend", "nomad", "check-config");
    assertThat(backend.status()).isEqualTo(2);
    assertThat(backend.err()).contains("--backend", "use docker, direct, kubernetes or command");

    Outcome count = run(Map.of(), "--max-concurrent-tasks", "many", "check-config");
    assertThat(count.status()).isEqualTo(2);
    assertThat(count.err()).contains("--max-concurrent-tasks", "'many'");

    Outcome level = run(Map.of(), "--log-level", "loud", "check-config");
    assertThat(level.status()).isEqualTo(2);
    assertThat(level.err()).contains("--log-level", "debug, info, warn, error");
  }

  @Test
  void demoKeepWithoutAClusterIsRefusedBeforeAnythingStartsNamingBothFlags() {
    Outcome demo = run(Map.of(), "demo", "--keep");

    assertThat(demo.status()).isEqualTo(2);
    assertThat(demo.err())
        .contains("--keep needs --kubeconfig", "run demo --kubeconfig FILE --keep")
        .contains("Usage:");
    assertThat(demo.out()).as("no demo ran").isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"--backend kubernetes demo", "demo --backend kubernetes"})
  void theDemoRefusesTheKubernetesBackendWithoutAClusterBeforeAnythingStarts(String args) {
    Outcome demo = run(Map.of(), args.split(" "));

    assertThat(demo.status()).isEqualTo(RunCommand.CANNOT_START);
    assertThat(demo.err())
        .contains("--backend kubernetes runs the demo's tasks as Pods")
        .contains("the embedded API server has none")
        .contains("run demo --backend kubernetes --kubeconfig FILE");
    assertThat(demo.out()).as("no demo ran").isEmpty();
  }

  @Test
  void anApiKeyGivenAsAFlagIsNeverEchoed() {
    Outcome check = run(Map.of(), "--api-key", SECRET, "--worker-id", "w", "check-config");
    assertThat(check.status()).isZero();
    assertThat(check.out() + check.err())
        .doesNotContain(SECRET)
        .contains("api_key: \"(set, hidden)\"");
  }
}
