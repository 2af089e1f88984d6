package dev.ozworker.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.model.Capability;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigFixtures;
import dev.ozworker.config.DockerBackendConfig;
import dev.ozworker.task.ResourceLimits;
import dev.ozworker.task.TaskEnv;
import dev.ozworker.task.TaskObject;
import dev.ozworker.task.TaskSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ContainerSpecsTest {
  static final DockerBackendConfig CONFIG =
      ConfigFixtures.docker(
          Map.of(
              "volumes",
              List.of("/srv/cache:/cache:ro", "data:/data"),
              "environment",
              List.of(
                  Map.of("name", "OPERATOR", "value", "yes"),
                  Map.of("name", "TASK_ID", "value", "operator wins later")),
              "network_mode",
              "none"));

  static TaskSpec task(
      Optional<String> ozTaskId, Optional<String> executionId, ResourceLimits limits) {
    return new TaskSpec(
        "run-1",
        ozTaskId,
        executionId,
        BackendKind.DOCKER,
        "ubuntu:22.04",
        new TaskEnv(
            List.of(
                new TaskEnv.Entry("TASK_ID", "t-1", false),
                new TaskEnv.Entry("TOKEN", "s3cret", true))),
        List.of("agent", "run", "--task-id", "t-1"),
        List.of(),
        limits,
        Duration.ZERO,
        "",
        TaskObject.named("run-1"));
  }

  @Test
  void buildsTheContainerOfATask() {
    ContainerSpec spec =
        ContainerSpecs.of(
            task(
                Optional.of("t-1"),
                Optional.of("e-1"),
                new ResourceLimits(OptionalLong.of(2_000_000_000L), OptionalLong.of(4L << 30))),
            "w-1",
            CONFIG,
            List.of("agent-abc:/agent:ro", "cli-def:/mnt/claude-cli-sidecar"));

    assertThat(spec.name()).startsWith("oz-run-1-").hasSize("oz-run-1-".length() + 10);
    assertThat(spec.image()).isEqualTo("ubuntu:22.04");
    assertThat(spec.cmd())
        .containsExactly("/agent/entrypoint.sh", "agent", "run", "--task-id", "t-1");
    assertThat(spec.workingDir()).isEqualTo("/workspace");
    assertThat(spec.env())
        .containsExactly(
            "TASK_ID=t-1", "TOKEN=s3cret", "OPERATOR=yes", "TASK_ID=operator wins later");
    assertThat(spec.binds())
        .containsExactly(
            "agent-abc:/agent:ro",
            "cli-def:/mnt/claude-cli-sidecar",
            "/srv/cache:/cache:ro",
            "data:/data");
    assertThat(spec.labels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "ozworker.dev/task-id", "t-1",
                "ozworker.dev/worker-id", "w-1",
                "ozworker.dev/execution-id", "e-1",
                "ozworker.dev/run-id", "run-1"));
    assertThat(spec.memoryBytes()).hasValue(4L << 30);
    assertThat(spec.nanoCpus()).hasValue(2_000_000_000L);
    assertThat(spec.networkMode()).contains("none");
    assertThat(spec.toString()).doesNotContain("s3cret");
  }

  @Test
  void aTaskWithoutOzIdsIsLabelledByItsRunAndHasNoLimits() {
    DockerBackendConfig defaults = DockerBackendConfig.defaults();
    ContainerSpec spec =
        ContainerSpecs.of(
            task(Optional.empty(), Optional.empty(), ResourceLimits.NONE),
            "w",
            defaults,
            List.of());

    assertThat(spec.labels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "ozworker.dev/task-id", "run-1",
                "ozworker.dev/worker-id", "w",
                "ozworker.dev/run-id", "run-1"));
    assertThat(spec.memoryBytes()).isEmpty();
    assertThat(spec.nanoCpus()).isEmpty();
    assertThat(spec.networkMode()).isEmpty();
    assertThat(spec.binds()).isEmpty();
    assertThat(spec.env()).containsExactly("TASK_ID=t-1", "TOKEN=s3cret");
  }

  @Test
  void confinesEveryContainerByDefault() {
    ContainerSpec spec =
        ContainerSpecs.of(
            task(Optional.empty(), Optional.empty(), ResourceLimits.NONE),
            "w",
            DockerBackendConfig.defaults(),
            List.of());

    assertThat(spec.hardening().securityOpts()).containsExactly("no-new-privileges");
    assertThat(spec.hardening().pidsLimit()).hasValue(4096);
    assertThat(spec.hardening().capDrop())
        .containsExactly(
            Capability.NET_RAW, Capability.MKNOD, Capability.AUDIT_WRITE, Capability.SYS_CHROOT);
  }

  @Test
  void confinementCanBeLoosenedKeyByKey() {
    ContainerSpec spec =
        ContainerSpecs.of(
            task(Optional.empty(), Optional.empty(), ResourceLimits.NONE),
            "w",
            ConfigFixtures.docker(
                Map.of(
                    "no_new_privileges",
                    false,
                    "pids_limit",
                    0,
                    "cap_drop",
                    List.of("CAP_NET_RAW"))),
            List.of());

    assertThat(spec.hardening().securityOpts()).isEmpty();
    assertThat(spec.hardening().pidsLimit()).isEmpty();
    assertThat(spec.hardening().capDrop()).containsExactly(Capability.NET_RAW);
  }

  @Test
  void theConfiguredDefaultLimitsApplyOnlyToAxesTheInstanceShapeLeavesUnset() {
    DockerBackendConfig config =
        ConfigFixtures.docker(Map.of("default_memory", "2Gi", "default_cpus", "1500m"));
    ContainerSpec noShape =
        ContainerSpecs.of(
            task(Optional.empty(), Optional.empty(), ResourceLimits.NONE), "w", config, List.of());
    ContainerSpec memoryOnly =
        ContainerSpecs.of(
            task(
                Optional.empty(),
                Optional.empty(),
                new ResourceLimits(OptionalLong.empty(), OptionalLong.of(16L << 30))),
            "w",
            config,
            List.of());

    assertThat(noShape.memoryBytes()).hasValue(2L << 30);
    assertThat(noShape.nanoCpus()).hasValue(1_500_000_000L);
    assertThat(memoryOnly.memoryBytes()).as("Oz's shape wins").hasValue(16L << 30);
    assertThat(memoryOnly.nanoCpus()).hasValue(1_500_000_000L);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "default_memory | 1Mi | backend.docker.default_memory 1Mi is below the 6Mi",
        "default_cpus | 0 | backend.docker.default_cpus 0 is below the 1m",
        "cap_drop | NOT_A_CAP | backend.docker.cap_drop names \"NOT_A_CAP\", which is not"
      })
  void aSettingTheEngineWouldRefuseFailsAtOnceNamingItsKey(String key, String value, String says) {
    DockerBackendConfig config =
        ConfigFixtures.docker(Map.of(key, key.equals("cap_drop") ? List.of(value) : value));

    assertThatThrownBy(() -> ContainerHardening.of(config))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(says);
  }

  @ParameterizedTest
  @CsvSource({
    "task-123,                oz-task-123",
    "Task_1.a,                oz-Task_1.a",
    "agenttask-from-user,     oz-agenttask-from-user",
    "tâche,                   oz-t-che-",
    "a:b,                     oz-a-b-",
    "_leading,                oz-_leading-"
  })
  void namesContainersAfterTheirRun(String runId, String expectedPrefix) {
    String name = ContainerSpecs.containerName(runId);

    assertThat(name).startsWith(expectedPrefix).matches("[a-zA-Z0-9][a-zA-Z0-9_.-]+");
    if (!name.equals(expectedPrefix)) {
      assertThat(name).hasSize(expectedPrefix.length() + 10);
    }
  }

  @Test
  void runIdsThatDifferOnlyInUnsafeCharactersGetDifferentNames() {
    assertThat(ContainerSpecs.containerName("a:b"))
        .isNotEqualTo(ContainerSpecs.containerName("a;b"));
    assertThat(ContainerSpecs.containerName("x".repeat(255))).hasSizeLessThan(120);
  }

  @Test
  void eachExecutionOfARunGetsAContainerOfItsOwn() {
    TaskSpec first = FakeEngineRig.spec("task-1", "img");
    TaskSpec followUp =
        new TaskSpec(
            first.runId(),
            first.ozTaskId(),
            Optional.of("exec-2"),
            first.backend(),
            first.image(),
            first.env(),
            first.ozArgs(),
            first.sidecars(),
            first.limits(),
            first.timeout(),
            first.harness(),
            first.object());

    assertThat(ContainerSpecs.containerName(first))
        .startsWith("oz-task-1-")
        .isNotEqualTo(ContainerSpecs.containerName(followUp));
  }
}
