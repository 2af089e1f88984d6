package dev.ozworker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigFileTest {
  static final Map<String, String> ENV = Map.of("INHERIT_ME", "from-worker");

  static ConfigFile parse(String yaml) throws ConfigException {
    return ConfigFile.parse(yaml, "worker.yaml", ENV);
  }

  /** The configuration the file makes, with only an API key and a worker id given besides. */
  static WorkerConfig read(String yaml) throws ConfigException {
    Map<String, String> env = new HashMap<>(ENV);
    env.put("WARP_API_KEY", "k");
    env.put("POD_NAME", "w");
    return new WorkerConfigResolver(env, Path.of("/")).resolve(parse(yaml), Flags.none());
  }

  @Test
  void emptyFileLeavesEverythingToDefaults() throws ConfigException {
    assertThat(parse("")).isEqualTo(ConfigFile.EMPTY);
    assertThat(parse("# only a comment\n")).isEqualTo(ConfigFile.EMPTY);
  }

  @Test
  void readsTheReferenceKeysWithADockerBlock() throws ConfigException {
    WorkerConfig file =
        read(
            """
            worker_id: my-worker
            cleanup: false
            max_concurrent_tasks: 4
            idle_on_complete: 45m
            backend:
              docker:
                volumes: ["/host:/ctr:ro", "cache:/cache"]
                environment: [{name: FOO, value: bar}, {name: INHERIT_ME}, {name: UNSET_HERE}]
            """);

    assertThat(file.workerId()).isEqualTo("my-worker");
    assertThat(file.cleanup()).isFalse();
    assertThat(file.maxConcurrentTasks()).isEqualTo(4);
    assertThat(file.idleOnComplete()).contains(new DurationText("45m", Duration.ofMinutes(45)));
    DockerBackendConfig docker = (DockerBackendConfig) file.backend();
    assertThat(docker.volumes())
        .containsExactly(
            new VolumeMount("/host", "/ctr", "ro"), new VolumeMount("cache", "/cache", ""));
    assertThat(docker.environment())
        .containsExactly(
            new EnvVar("FOO", "bar"),
            new EnvVar("INHERIT_ME", "from-worker"),
            new EnvVar("UNSET_HERE", ""));
    assertThat(docker.imagePullPolicy()).isEqualTo(ImagePullPolicy.IfNotPresent);
    assertThat(docker.sidecarVolumeMaxAge()).isEqualTo(Duration.ofDays(7));
  }

  @Test
  void readsOurDockerKeys() throws ConfigException {
    DockerBackendConfig docker =
        (DockerBackendConfig)
            read("""
            backend:
              docker:
                default_image: ghcr.io/acme/base:1
                sidecar_image: ghcr.io/acme/agent:2
                coding_cli_sidecars: {claude: ghcr.io/acme/claude:3}
                image_pull_policy: Never
                network_mode: none
                sidecar_volume_max_age: 36h
                no_new_privileges: false
                pids_limit: 0
                cap_drop: [NET_RAW, CAP_SYS_PTRACE]
                default_memory: 8Gi
                default_cpus: 1500m
            """)
                .backend();

    assertThat(docker.defaultImage()).contains("ghcr.io/acme/base:1");
    assertThat(docker.sidecarImage()).contains("ghcr.io/acme/agent:2");
    assertThat(docker.codingCliSidecars())
        .containsExactly(Map.entry("claude", "ghcr.io/acme/claude:3"));
    assertThat(docker.imagePullPolicy()).isEqualTo(ImagePullPolicy.Never);
    assertThat(docker.networkMode()).contains("none");
    assertThat(docker.sidecarVolumeMaxAge()).isEqualTo(Duration.ofHours(36));
    assertThat(docker.noNewPrivileges()).isFalse();
    assertThat(docker.pidsLimit()).isZero();
    assertThat(docker.capDrop()).containsExactly("NET_RAW", "CAP_SYS_PTRACE");
    assertThat(docker.defaultMemory()).contains("8Gi");
    assertThat(docker.defaultCpus()).contains("1500m");
  }

  @Test
  void dockerTaskContainersAreHardenedByDefaultWithoutLimitsOzDidNotAskFor()
      throws ConfigException {
    DockerBackendConfig docker = DockerBackendConfig.defaults();
    DockerBackendConfig keepingEveryCapability =
        (DockerBackendConfig) read("backend:\n  docker:\n    cap_drop: []\n").backend();

    assertThat(docker.noNewPrivileges()).isTrue();
    assertThat(docker.pidsLimit()).isEqualTo(4096);
    assertThat(docker.capDrop()).containsExactly("NET_RAW", "MKNOD", "AUDIT_WRITE", "SYS_CHROOT");
    assertThat(docker.defaultMemory()).isEmpty();
    assertThat(docker.defaultCpus()).isEmpty();
    assertThat(keepingEveryCapability.capDrop()).isEmpty();
  }

  @Test
  void readsTheDirectBlockWithDefaultsForWhatItLeavesOut() throws ConfigException {
    DirectBackendConfig direct =
        (DirectBackendConfig)
            read("""
            backend:
              direct:
                setup_command: ./setup.sh
                teardown_command: ""
                environment: [{name: HTTPS_PROXY, value: "http://127.0.0.1:3128"}]
            """)
                .backend();

    assertThat(direct.workspaceRoot()).isEqualTo(Path.of("/var/lib/oz/workspaces"));
    assertThat(direct.targetDir()).isEmpty();
    assertThat(direct.setupCommand()).contains("./setup.sh");
    assertThat(direct.teardownCommand()).as("empty means none").isEmpty();
    assertThat(direct.teardownTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(direct.environment())
        .containsExactly(new EnvVar("HTTPS_PROXY", "http://127.0.0.1:3128"));
  }

  @Test
  void readsTheCommandBlockAsTheReferenceWritesIt() throws ConfigException {
    CommandBackendConfig command =
        (CommandBackendConfig)
            read("""
            backend:
              command:
                dispatch_command: "python3 /opt/oz/dispatch.py"
                cancel_command: "python3 /opt/oz/cancel.py"
                dispatch_timeout: "90s"
                environment:
                  - {name: OZ_DISPATCH_URL, value: "https://runtime.internal/oz/dispatch"}
                  - {name: OZ_DISPATCH_AUTH_HEADER}
            """)
                .backend();

    assertThat(command.dispatchCommand()).contains("python3 /opt/oz/dispatch.py");
    assertThat(command.cancelCommand()).contains("python3 /opt/oz/cancel.py");
    assertThat(command.dispatchTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(command.environment())
        .extracting(EnvVar::name)
        .containsExactly("OZ_DISPATCH_URL", "OZ_DISPATCH_AUTH_HEADER");
  }

  @Test
  void theCommandBlockWaitsAMinuteForTheDispatchByDefault() {
    CommandBackendConfig command = CommandBackendConfig.defaults();

    assertThat(command.dispatchTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(command.dispatchCommand()).isEmpty();
    assertThat(command.cancelCommand()).isEmpty();
  }

  @Test
  void readsOurTimingKeys() throws ConfigException {
    ConfigFile given =
        parse(
            """
            task_timeout: 2h
            cancel_grace_period: 10s
            finished_task_ttl: "0"
            namespace: oz-workers
            task_log_dir: /srv/oz/logs/
            """);

    assertThat(given.value("task_timeout")).contains(Duration.ofHours(2));
    assertThat(given.value("cancel_grace_period")).contains(Duration.ofSeconds(10));
    assertThat(given.value("finished_task_ttl")).contains(Duration.ZERO);
    assertThat(given.value("namespace")).contains("oz-workers");
    assertThat(given.value("task_log_dir")).contains(Path.of("/srv/oz/logs"));
    assertThat(given.value("backend")).isEmpty();
  }

  static Stream<Arguments> invalidFiles() {
    return Stream.of(
        arguments(
            "task_log_dir: logs\n",
            List.of("worker.yaml: task_log_dir \"logs\" must be an absolute path (start with /)")),
        arguments(
            "worker-id: w\n",
            List.of("worker.yaml: unknown key 'worker-id': did you mean 'worker_id'?")),
        arguments(
            "backend:\n  docker:\n    volume: [\"/a:/b\"]\n",
            List.of(
                "unknown key 'backend.docker.volume': did you mean 'volumes'?",
                "backend.docker takes volumes, environment")),
        arguments(
            "api_key: k\n", List.of("unknown key 'api_key'", "pass --api-key or set WARP_API_KEY")),
        arguments("log_level: debug\n", List.of("unknown key 'log_level'", "--log-level")),
        arguments(
            "backend:\n  docker: {}\n  direct: {}\n",
            List.of("backend has both a docker and a direct block", "keep only")),
        arguments(
            "backend:\n  docker: {}\n  kubernetes: {}\n",
            List.of("backend has both a docker and a kubernetes block", "keep only")),
        arguments(
            "backend:\n  command: {dispatch_command: x}\n  direct: {}\n",
            List.of("backend has both a direct and a command block", "keep only")),
        arguments(
            "backend:\n  command:\n    dispatch_timeout: soon\n",
            List.of("backend.command.dispatch_timeout")),
        arguments(
            "backend:\n  nomad: {}\n", List.of("unknown key 'backend.nomad'", "backend takes")),
        arguments(
            "backend:\n  docker:\n    environment: [{name: MY VAR, value: x}]\n",
            List.of(
                "backend.docker.environment[0].name \"MY VAR\" must not contain spaces, tabs or"
                    + " '='")),
        arguments(
            "backend:\n  direct:\n    environment: [{name: \"A\\tB\"}]\n",
            List.of("backend.direct.environment[0].name", "must not contain spaces, tabs")),
        arguments(
            "backend:\n  direct:\n    environment: [{name: \"A\\nB\"}, {name: \"A=B\"}]\n",
            List.of(
                "backend.direct.environment[0].name \"A\nB\" must not contain",
                "backend.direct.environment[1].name \"A=B\" must not contain")),
        arguments(
            "backend:\n  direct:\n    environment: [{value: x}]\n",
            List.of("backend.direct.environment[0].name is required")),
        arguments(
            "backend:\n  direct:\n    environment: [{name: A, valeu: x}]\n",
            List.of("unknown key 'backend.direct.environment[0].valeu': did you mean 'value'?")),
        arguments(
            "backend:\n  direct:\n    environment: {A: b}\n",
            List.of("backend.direct.environment must be a list")),
        arguments(
            "max_concurrent_tasks: -1\n",
            List.of(
                "max_concurrent_tasks must be a whole number of 0 or more (0 = no limit), got -1")),
        arguments(
            "max_concurrent_tasks: four\n",
            List.of("max_concurrent_tasks must be a whole number", "got \"four\"")),
        arguments(
            "max_concurrent_tasks: 2.5\n", List.of("max_concurrent_tasks must be a whole number")),
        arguments("cleanup: \"yes\"\n", List.of("cleanup must be true or false")),
        arguments(
            "idle_on_complete: 45 minutes\n",
            List.of("idle_on_complete \"45 minutes\" is not a duration", "e.g. 90s, 45m or 1h30m")),
        arguments("task_timeout: 10\n", List.of("task_timeout \"10\" is not a duration")),
        arguments(
            "cancel_grace_period: -5s\n", List.of("cancel_grace_period \"-5s\" is not a duration")),
        arguments(
            "backend:\n  direct:\n    teardown_timeout: soon\n",
            List.of("backend.direct.teardown_timeout \"soon\" is not a duration")),
        arguments(
            "backend:\n  docker:\n    image_pull_policy: always\n",
            List.of(
                "backend.docker.image_pull_policy \"always\" is not a pull policy: use Always,"
                    + " IfNotPresent or Never")),
        arguments(
            "backend:\n  direct:\n    workspace_root: workspaces\n",
            List.of("backend.direct.workspace_root \"workspaces\" must be an absolute path")),
        arguments(
            "backend:\n  direct:\n    target_dir: ../repo\n",
            List.of("backend.direct.target_dir \"../repo\" must be an absolute path")),
        arguments(
            "backend:\n  docker:\n    volumes: [\"/only-one-part\"]\n",
            List.of("backend.docker.volumes[0] \"/only-one-part\": expected HOST:CONTAINER")),
        arguments(
            "backend:\n  docker:\n    volumes: [\"/a:relative\"]\n",
            List.of("the container path must be absolute")),
        arguments(
            "backend:\n  docker:\n    volumes: [\"/a:/b:rx\"]\n",
            List.of("unknown mode 'rx': use ro or rw")),
        arguments(
            "backend:\n  docker:\n    volumes: [\":/b\"]\n",
            List.of("the host path or volume name is empty")),
        arguments(
            "backend:\n  docker:\n    volumes: /a:/b\n",
            List.of("backend.docker.volumes must be a list of strings")),
        arguments(
            "backend:\n  docker:\n    default_image: \"my image\"\n",
            List.of(
                "backend.docker.default_image \"my image\" must be non-empty without whitespace")),
        arguments(
            "backend:\n  docker:\n    coding_cli_sidecars: {claude: \"\"}\n",
            List.of("backend.docker.coding_cli_sidecars.claude")),
        arguments("backend:\n  docker: [a]\n", List.of("backend.docker must be a mapping")),
        arguments(
            "backend:\n  docker:\n    cap_drop: [NET_RAW, net admin]\n",
            List.of(
                "backend.docker.cap_drop[1] \"net admin\" is not a capability name",
                "e.g. NET_RAW or CAP_NET_RAW")),
        arguments(
            "backend:\n  docker:\n    cap_drop: NET_RAW\n",
            List.of("backend.docker.cap_drop must be a list of strings")),
        arguments(
            "backend:\n  docker:\n    pids_limit: -1\n",
            List.of(
                "backend.docker.pids_limit must be a whole number of 0 or more (0 = no limit)")),
        arguments(
            "backend:\n  docker:\n    default_memory: 8 GB\n",
            List.of("backend.docker.default_memory \"8 GB\" is not a Kubernetes quantity")),
        arguments("worker_id: {a: b}\n", List.of("worker_id must be a single value")),
        arguments(
            "- worker_id: w\n",
            List.of("worker.yaml: the file must be a mapping of keys such as worker_id")),
        arguments("worker_id: [unclosed\n", List.of("worker.yaml is not valid YAML", "line")),
        arguments(
            "worker_id: a\nworker_id: b\n",
            List.of("worker.yaml is not valid YAML", "Duplicate field 'worker_id'")));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidFiles")
  void rejectsWithAMessageNamingTheKeyAndTheFix(String yaml, List<String> fragments) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(ConfigException.class)
        .message()
        .contains(fragments);
  }

  @Test
  void reportsEveryProblemAtOnce() {
    assertThatThrownBy(
            () ->
                parse(
                    """
                    max_concurrent_tasks: -2
                    idle_on_complete: later
                    backend:
                      docker:
                        image_pull_policy: sometimes
                    """))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(3)
                    .allSatisfy(problem -> assertThat(problem).startsWith("worker.yaml: ")));
  }

  @Test
  void aMissingFileIsNamedWithTheFlagThatPointsAtIt() {
    assertThatThrownBy(() -> ConfigFile.read(Path.of("/nonexistent/worker.yaml"), ENV))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cannot read config file /nonexistent/worker.yaml")
        .hasMessageContaining("--config-file");
  }

  @Test
  void nullValuesCountAsAbsent() throws ConfigException {
    assertThat(parse("worker_id:\ncleanup: null\n")).isEqualTo(ConfigFile.EMPTY);
    assertThat(
            read("backend:\n  direct:\n    environment: [{name: INHERIT_ME, value: null}]\n")
                .backend()
                .environment())
        .isEqualTo(List.of(new EnvVar("INHERIT_ME", "from-worker")));
  }

  @Test
  void numbersAndBooleansReadAsTextWhereTextIsExpected() throws ConfigException {
    assertThat(parse("worker_id: 1234\n").value("worker_id")).isEqualTo(Optional.of("1234"));
  }
}
