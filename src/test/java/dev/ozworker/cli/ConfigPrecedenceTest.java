package dev.ozworker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.ConfigFile;
import dev.ozworker.config.DirectBackendConfig;
import dev.ozworker.config.DockerBackendConfig;
import dev.ozworker.config.EnvVar;
import dev.ozworker.config.LogFormat;
import dev.ozworker.config.LogLevel;
import dev.ozworker.config.VolumeMount;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.config.WorkerConfigResolver;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Flags, parsed as the command line parses them, win over the file, which wins over defaults. */
class ConfigPrecedenceTest {
  static final Map<String, String> ENV =
      Map.of("WARP_API_KEY", "key-from-env", "PASS_ME", "worker-value", "PROXY", "worker-proxy");
  static final Path CWD = Path.of("/srv/worker");

  static WorkerConfig resolve(String yaml, String... args) throws ConfigException {
    return WorkerConfigs.resolve(yaml, ENV, args);
  }

  @Test
  void defaultsFillEverythingButTheWorkerId() throws ConfigException {
    WorkerConfig config = resolve("", "--worker-id", "w1");

    assertThat(config.workerId()).isEqualTo("w1");
    assertThat(config.apiKey().value()).isEqualTo("key-from-env");
    assertThat(config.webSocketUrl())
        .isEqualTo(URI.create("wss://oz.warp.dev/api/v1/selfhosted/worker/ws"));
    assertThat(config.serverRootUrl()).contains(URI.create("https://app.warp.dev"));
    assertThat(config.sessionSharingServerUrl()).isEmpty();
    assertThat(config.logLevel()).isEqualTo(LogLevel.info);
    assertThat(config.namespace()).isEmpty();
    assertThat(config.cleanup()).isTrue();
    assertThat(config.maxConcurrentTasks()).isZero();
    assertThat(config.idleOnComplete()).isEmpty();
    assertThat(config.taskTimeout()).isEqualTo(Duration.ofHours(24));
    assertThat(config.cancelGracePeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.finishedTaskTtl()).isEqualTo(Duration.ofHours(24));
    assertThat(config.backend()).isEqualTo(DockerBackendConfig.defaults());
    assertThat(config.shutdownGracePeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.podName()).isEmpty();
    assertThat(config.nodeName()).isEmpty();
    assertThat(config.httpPort()).isEqualTo(9090);
    assertThat(config.httpAddress()).isEqualTo("0.0.0.0");
    assertThat(config.logFormat()).isEqualTo(LogFormat.text);
  }

  @Test
  void httpPortAndLogFormatComeFromTheFileAndFlagsWin() throws ConfigException {
    WorkerConfig fromFile = resolve("http_port: 0\nlog_format: json\n", "--worker-id", "w1");
    assertThat(fromFile.httpPort()).isZero();
    assertThat(fromFile.logFormat()).isEqualTo(LogFormat.json);

    WorkerConfig flagged =
        resolve(
            "http_port: 0\nlog_format: json\n",
            "--worker-id",
            "w1",
            "--http-port",
            "9191",
            "--http-address",
            "127.0.0.1",
            "--log-format",
            "text");
    assertThat(flagged.httpPort()).isEqualTo(9191);
    assertThat(flagged.httpAddress()).isEqualTo("127.0.0.1");
    assertThat(flagged.logFormat()).isEqualTo(LogFormat.text);
  }

  @Test
  void inAPodTheWorkerIsNamedAfterItAndWorksInItsNamespace() throws ConfigException {
    Map<String, String> pod =
        Map.of(
            "WARP_API_KEY",
            "k",
            "POD_NAME",
            "oz-worker-7d9f-x2",
            "POD_NAMESPACE",
            "oz",
            "NODE_NAME",
            "node-3");

    WorkerConfig config = WorkerConfigs.resolve("", pod);

    assertThat(config.workerId()).isEqualTo("oz-worker-7d9f-x2");
    assertThat(config.namespace()).contains("oz");
    assertThat(config.podName()).contains("oz-worker-7d9f-x2");
    assertThat(config.nodeName()).contains("node-3");
  }

  @Test
  void aConfiguredWorkerIdAndNamespaceWinOverThePods() throws ConfigException {
    Map<String, String> pod = Map.of("WARP_API_KEY", "k", "POD_NAME", "p1", "POD_NAMESPACE", "oz");

    WorkerConfig config =
        WorkerConfigs.resolve("worker_id: pool-a\nnamespace: tasks\n", pod, "--worker-id", "w9");

    assertThat(config.workerId()).isEqualTo("w9");
    assertThat(config.namespace()).contains("tasks");
    assertThat(config.podName()).contains("p1");
  }

  @Test
  void theShutdownGracePeriodComesFromTheFileAndTheFlagWins() throws ConfigException {
    assertThat(resolve("shutdown_grace_period: 45s\n", "--worker-id", "w1").shutdownGracePeriod())
        .isEqualTo(Duration.ofSeconds(45));
    assertThat(
            resolve(
                    "shutdown_grace_period: 45s\n",
                    "--worker-id",
                    "w1",
                    "--shutdown-grace-period",
                    "2m")
                .shutdownGracePeriod())
        .isEqualTo(Duration.ofMinutes(2));
    assertThatThrownBy(() -> resolve("", "--worker-id", "w1", "--shutdown-grace-period", "0s"))
        .hasMessageContaining("--shutdown-grace-period must be more than 0s");
    assertThatThrownBy(() -> resolve("", "--worker-id", "w1", "--shutdown-grace-period", "soon"))
        .hasMessageContaining("--shutdown-grace-period");
  }

  @Test
  void flagsWinOverTheFile() throws ConfigException {
    WorkerConfig config =
        resolve(
            """
            worker_id: from-file
            cleanup: true
            max_concurrent_tasks: 4
            idle_on_complete: 45m
            namespace: file-ns
            """,
            "--worker-id=from-flag",
            "--api-key=key-from-flag",
            "--no-cleanup",
            "--max-concurrent-tasks=2",
            "--idle-on-complete=10m",
            "--namespace=flag-ns",
            "--log-level=debug",
            "--web-socket-url=ws://127.0.0.1:8080/ws",
            "--server-root-url=http://127.0.0.1:8081",
            "--session-sharing-server-url=ws://127.0.0.1:8082");

    assertThat(config.workerId()).isEqualTo("from-flag");
    assertThat(config.apiKey().value()).isEqualTo("key-from-flag");
    assertThat(config.cleanup()).isFalse();
    assertThat(config.maxConcurrentTasks()).isEqualTo(2);
    assertThat(config.idleOnComplete())
        .contains(new dev.ozworker.config.DurationText("10m", Duration.ofMinutes(10)));
    assertThat(config.namespace()).contains("flag-ns");
    assertThat(config.logLevel()).isEqualTo(LogLevel.debug);
    assertThat(config.webSocketUrl()).isEqualTo(URI.create("ws://127.0.0.1:8080/ws"));
    assertThat(config.serverRootUrl()).contains(URI.create("http://127.0.0.1:8081"));
    assertThat(config.sessionSharingServerUrl()).contains(URI.create("ws://127.0.0.1:8082"));
  }

  @Test
  void anUnencryptedWebSocketToAnotherHostIsAConfigErrorUnlessAllowed() throws ConfigException {
    assertThatThrownBy(() -> resolve("", "--worker-id=w1", "--web-socket-url=ws://oz.example/ws"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--web-socket-url ws://oz.example/ws is unencrypted")
        .hasMessageContaining("--allow-insecure-websocket");

    WorkerConfig allowed =
        resolve(
            "allow_insecure_websocket: true\n",
            "--worker-id=w1",
            "--web-socket-url=ws://oz.example/ws");
    WorkerConfig flagged =
        resolve(
            "",
            "--worker-id=w1",
            "--web-socket-url=ws://oz.example/ws",
            "--allow-insecure-websocket");

    assertThat(allowed.webSocketUrl()).isEqualTo(URI.create("ws://oz.example/ws"));
    assertThat(flagged.allowInsecureWebsocket()).isTrue();
    assertThat(resolve("", "--worker-id=w1").allowInsecureWebsocket()).isFalse();
  }

  @Test
  void anEmptyServerRootUrlLeavesTheAgentOnItsDefault() throws ConfigException {
    WorkerConfig config = resolve("", "--worker-id=w1", "--server-root-url=");

    assertThat(config.serverRootUrl()).isEmpty();
  }

  @Test
  void theFileWinsOverDefaults() throws ConfigException {
    WorkerConfig config =
        resolve(
            """
            worker_id: from-file
            cleanup: false
            max_concurrent_tasks: 4
            task_timeout: 2h
            cancel_grace_period: 5s
            finished_task_ttl: 0s
            """);

    assertThat(config.workerId()).isEqualTo("from-file");
    assertThat(config.cleanup()).isFalse();
    assertThat(config.maxConcurrentTasks()).isEqualTo(4);
    assertThat(config.taskTimeout()).isEqualTo(Duration.ofHours(2));
    assertThat(config.cancelGracePeriod()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.finishedTaskTtl()).isZero();
  }

  @Test
  void theFilesBackendBlockChoosesTheBackend() throws ConfigException {
    WorkerConfig config =
        resolve("worker_id: w\nbackend:\n  direct:\n    workspace_root: /data/ws\n");

    assertThat(config.backend()).isInstanceOf(DirectBackendConfig.class);
    assertThat(((DirectBackendConfig) config.backend()).workspaceRoot())
        .isEqualTo(Path.of("/data/ws"));
  }

  @Test
  void backendFlagWithoutABlockUsesThatBackendsDefaults() throws ConfigException {
    assertThat(resolve("", "--worker-id=w", "--backend=direct").backend())
        .isEqualTo(DirectBackendConfig.defaults());
  }

  @Test
  void dockerVolumesFromFlagsFollowTheFilesAndEnvFlagsOverlayTheFilesInOrder()
      throws ConfigException {
    WorkerConfig config =
        resolve(
            """
            backend:
              docker:
                volumes: ["/etc/ssl:/etc/ssl:ro"]
                environment: [{name: A, value: file-a}, {name: B, value: file-b}]
            """,
            "--worker-id=w",
            "-v",
            "/cache:/cache",
            "-e",
            "B=flag-b",
            "-e",
            "PASS_ME",
            "-e",
            "NOT_SET_ON_WORKER",
            "-e",
            "C=x=y");

    DockerBackendConfig docker = (DockerBackendConfig) config.backend();
    assertThat(docker.volumes())
        .containsExactly(
            new VolumeMount("/etc/ssl", "/etc/ssl", "ro"), new VolumeMount("/cache", "/cache", ""));
    assertThat(docker.environment())
        .containsExactly(
            new EnvVar("A", "file-a"),
            new EnvVar("B", "flag-b"),
            new EnvVar("PASS_ME", "worker-value"),
            new EnvVar("NOT_SET_ON_WORKER", ""),
            new EnvVar("C", "x=y"));
  }

  @Test
  void directTargetDirFlagIsResolvedAgainstTheWorkingDirectoryAndWinsOverTheFile()
      throws ConfigException {
    WorkerConfig config =
        resolve(
            "backend:\n  direct:\n    target_dir: /from/file\n",
            "--worker-id=w",
            "--target-dir=repo",
            "-e",
            "PROXY");

    DirectBackendConfig direct = (DirectBackendConfig) config.backend();
    assertThat(direct.targetDir()).contains(Path.of("/srv/worker/repo"));
    assertThat(direct.environment()).containsExactly(new EnvVar("PROXY", "worker-proxy"));
  }

  static Stream<Arguments> invalidCombinations() {
    return Stream.of(
        arguments("", new String[] {}, "the worker id is missing: pass --worker-id, set worker_id"),
        arguments("", new String[] {"--worker-id", "warp-1"}, "worker id \"warp-1\" is reserved"),
        arguments(
            "worker_id: warpspeed\n", new String[] {}, "ids starting with 'warp' belong to Oz"),
        arguments(
            "", new String[] {"--worker-id", "my worker"}, "cannot label Kubernetes resources"),
        arguments("", new String[] {"--worker-id", "x".repeat(64)}, "at most 63"),
        arguments(
            "",
            new String[] {"--worker-id=w", "--namespace=Oz_Workers"},
            "namespace \"Oz_Workers\" is not a Kubernetes namespace name"),
        arguments("namespace: -bad\n", new String[] {"--worker-id=w"}, "namespace \"-bad\""),
        arguments(
            "",
            new String[] {"--worker-id=w", "--max-concurrent-tasks=-1"},
            "--max-concurrent-tasks must be 0 or more"),
        arguments(
            "",
            new String[] {"--worker-id=w", "--idle-on-complete=ten"},
            "--idle-on-complete \"ten\" is not a duration"),
        arguments(
            "",
            new String[] {"--worker-id=w", "--web-socket-url=https://oz.example/ws"},
            "--web-socket-url \"https://oz.example/ws\" is not an absolute URL with scheme ws or"
                + " wss"),
        arguments(
            "",
            new String[] {"--worker-id=w", "--server-root-url=app.warp.dev"},
            "--server-root-url \"app.warp.dev\" is not an absolute URL with scheme http or https"),
        arguments(
            "",
            new String[] {"--worker-id=w", "--session-sharing-server-url=::"},
            "--session-sharing-server-url"),
        arguments(
            "backend:\n  docker: {}\n",
            new String[] {"--worker-id=w", "--backend=direct"},
            "--backend direct conflicts with the backend.docker block of the config file"),
        arguments(
            "",
            new String[] {"--worker-id=w", "--target-dir=/x"},
            "--target-dir applies to the direct backend only"),
        arguments(
            "",
            new String[] {"--worker-id=w", "--backend=direct", "-v", "/a:/b"},
            "--volumes applies to the docker backend only"),
        arguments(
            "",
            new String[] {"--worker-id=w", "-v", "/a"},
            "--volumes \"/a\": expected HOST:CONTAINER"),
        arguments(
            "",
            new String[] {"--worker-id=w", "-e", "BAD KEY=x"},
            "--env \"BAD KEY=x\": expected KEY=VALUE or KEY"),
        arguments("", new String[] {"--worker-id=w", "-e", "=x"}, "--env \"=x\""),
        arguments("", new String[] {"--worker-id=w", "-e", ","}, "--env \"\""),
        arguments(
            "",
            new String[] {"--worker-id=w", "--http-port=70000"},
            "--http-port must be a TCP port"),
        arguments(
            "http_port: 70000\n", new String[] {"--worker-id=w"}, "http_port must be a TCP port"),
        arguments(
            "log_format: yaml\n",
            new String[] {"--worker-id=w"},
            "log_format must be text or json"));
  }

  @ParameterizedTest(name = "[{index}] {2}")
  @MethodSource("invalidCombinations")
  void rejectsWithAMessageNamingTheFlagOrKey(String yaml, String[] args, String expected) {
    assertThatThrownBy(() -> resolve(yaml, args))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(expected);
  }

  @Test
  void aMissingApiKeyNamesBothWaysToGiveIt() {
    OzWorkerCommand command = new OzWorkerCommand(new WorkerConfigResolver(Map.of(), CWD));
    new CommandLine(command).parseArgs("--worker-id=w");

    assertThatThrownBy(() -> command.resolver.resolve(ConfigFile.EMPTY, command.flags()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("the Oz API key is missing: pass --api-key or set WARP_API_KEY");
  }

  @Test
  void theBackendFlagTakesTheNamesOfTheConfigFile() {
    OzWorkerCommand command = new OzWorkerCommand(new WorkerConfigResolver(ENV, CWD));
    new CommandLine(command).parseArgs("--backend", "direct");
    assertThat(command.backendFlag()).contains(BackendKind.DIRECT);
  }

  @Test
  void theApiKeyNeverShowsInTheConfigsText() throws ConfigException {
    WorkerConfig config = resolve("", "--worker-id=w", "--api-key=s3cr3t-value");
    assertThat(config.toString()).doesNotContain("s3cr3t-value");
    assertThat(List.of(config.apiKey().toString())).noneMatch(text -> text.contains("s3cr3t"));
  }
}
