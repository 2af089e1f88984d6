package dev.ozworker.backend.kubernetes;

import static dev.ozworker.backend.kubernetes.PodFixtures.container;
import static dev.ozworker.backend.kubernetes.PodFixtures.env;
import static dev.ozworker.backend.kubernetes.PodFixtures.initContainer;
import static dev.ozworker.backend.kubernetes.PodFixtures.settings;
import static dev.ozworker.backend.kubernetes.PodFixtures.task;
import static dev.ozworker.backend.kubernetes.PodFixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ozworker.config.EnvVar;
import dev.ozworker.config.KubernetesNames;
import dev.ozworker.task.ResourceLimits;
import dev.ozworker.task.TaskEnv;
import dev.ozworker.task.TaskObject;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TaskPodsTest {
  static final PodSettings SETTINGS =
      new PodSettings(
          "worker-7f9c",
          "IfNotPresent",
          false,
          Optional.of("git clone https://example.com/repo.git ."),
          Optional.of("./cleanup.sh"),
          Map.of("team", "agents"),
          Map.of("example.com/owner", "platform"),
          OptionalLong.of(28800),
          Optional.of("10Gi"),
          Optional.empty(),
          List.of(new EnvVar("HTTPS_PROXY", "http://proxy:3128")));

  static final PodSettings DEFAULTS = PodSettings.defaults(PodFixtures.WORKER_ID);

  @Test
  void buildsThePodTheGoldenFileShows() throws Exception {
    Pod golden;
    try (InputStream in = getClass().getResourceAsStream("task-pod.yaml")) {
      golden = PodFixtures.pod(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }

    Pod pod = TaskPods.build(task().build(), SETTINGS);

    assertThat(yaml(pod)).isEqualTo(yaml(golden));
  }

  @Test
  void noSecretValueAppearsAnywhereInThePod() throws Exception {
    Pod pod = TaskPods.build(task().build(), SETTINGS);

    assertThat(yaml(pod)).doesNotContain(PodFixtures.SECRET_VALUE).contains("API_TOKEN");
    for (Container container : List.of(container(pod, "task"), initContainer(pod, "setup"))) {
      assertThat(env(container, "API_TOKEN").getValue()).isNull();
      assertThat(env(container, "API_TOKEN").getValueFrom().getSecretKeyRef().getName())
          .isEqualTo(PodFixtures.ENV_SECRET);
      assertThat(env(container, "API_TOKEN").getValueFrom().getSecretKeyRef().getKey())
          .isEqualTo("API_TOKEN");
    }
  }

  @Test
  void refusesASecretVariableWhenTheTaskNamesNoSecretWithoutShowingItsValue() {
    TaskObject noSecret = new TaskObject("tasks", "t", "uid-1", Optional.empty());

    assertThatThrownBy(() -> TaskPods.build(task().object(noSecret).build(), DEFAULTS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("API_TOKEN")
        .hasMessageContaining("spec.envFrom")
        .hasMessageNotContaining(PodFixtures.SECRET_VALUE);
  }

  @Test
  void envIsTheTasksThenTheOperatorsThenTheWorkersALaterValueReplacingAnEarlierInItsPlace()
      throws Exception {
    PodSettings settings =
        settings()
            .environment(
                new EnvVar("PROXY", "http://proxy"),
                new EnvVar("GIT_TERMINAL_PROMPT", "1"),
                new EnvVar("OZ_RUN_ID", "operator-cannot-set-this"),
                new EnvVar("API_TOKEN", "operator-token"))
            .build();

    Container task = container(TaskPods.build(task().build(), settings), "task");

    assertThat(task.getEnv())
        .extracting(variable -> variable.getName() + "=" + variable.getValue())
        .containsExactly(
            "TASK_ID=" + PodFixtures.RUN_ID,
            "GIT_TERMINAL_PROMPT=1",
            "API_TOKEN=operator-token",
            "PROXY=http://proxy",
            "OZ_RUN_ID=" + PodFixtures.RUN_ID,
            "OZ_ENVIRONMENT_FILE=/workspace/.oz-env",
            "OZ_WORKSPACE_ROOT=/workspace",
            "OZ_WORKER_BACKEND=kubernetes");
    assertThat(env(task, "API_TOKEN").getValueFrom()).isNull();
  }

  @Test
  void theSetupContainerGetsTheTasksEnvironmentAndMountsAndRunsInTheWorkspace() throws Exception {
    Pod pod = TaskPods.build(task().build(), SETTINGS);
    Container setup = initContainer(pod, "setup");
    Container task = container(pod, "task");

    assertThat(setup.getCommand())
        .containsExactly("/bin/sh", "-c", "git clone https://example.com/repo.git .");
    assertThat(setup.getImage()).isEqualTo(task.getImage());
    assertThat(setup.getWorkingDir()).isEqualTo("/workspace");
    assertThat(setup.getEnv()).isEqualTo(task.getEnv());
    assertThat(setup.getVolumeMounts()).isEqualTo(task.getVolumeMounts());
    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("copy-sidecar-0", "setup");
  }

  @Test
  void withoutSetupOrTeardownThereIsNoSetupContainerAndTheWrapperExecsTheAgent() throws Exception {
    Pod pod = TaskPods.build(task().build(), DEFAULTS);

    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("copy-sidecar-0");
    List<String> command = container(pod, "task").getCommand();
    assertThat(command).hasSize(4).startsWith("/bin/sh", "-c").endsWith("oz-task");
    assertThat(command.get(2))
        .contains("set -a", ". \"$OZ_ENVIRONMENT_FILE\"")
        .endsWith("exec '/agent/entrypoint.sh' \"$@\"\n")
        .doesNotContain("teardown", "trap");
    assertThat(container(pod, "task").getArgs())
        .containsExactly("agent", "run", "--task-id", PodFixtures.RUN_ID, "--sandboxed");
  }

  @Test
  void theWorkspaceIsAnEmptyDirWithoutLimitUnlessOneIsSet() throws Exception {
    Pod pod = TaskPods.build(task().build(), DEFAULTS);

    assertThat(pod.getSpec().getVolumes().get(0).getName()).isEqualTo("workspace");
    assertThat(pod.getSpec().getVolumes().get(0).getEmptyDir().getSizeLimit()).isNull();
    assertThat(container(pod, "task").getVolumeMounts().get(0).getMountPath())
        .isEqualTo("/workspace");
  }

  @Test
  void runsHardenedButNotForcedToANonRootUser() throws Exception {
    Pod pod = TaskPods.build(task().build(), SETTINGS);

    assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isNull();
    for (Container container :
        List.of(
            container(pod, "task"),
            initContainer(pod, "setup"),
            initContainer(pod, "copy-sidecar-0"))) {
      assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(container.getSecurityContext().getRunAsNonRoot()).isNull();
    }
    assertThat(container(pod, "task").getSecurityContext().getCapabilities().getAdd()).isEmpty();
  }

  @Test
  void theOwnerIsTheAgentTaskAndThePodLivesBesideIt() throws Exception {
    Pod pod = TaskPods.build(task().build(), DEFAULTS);

    assertThat(pod.getMetadata().getNamespace()).isEqualTo("tasks");
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            owner -> {
              assertThat(owner.getApiVersion()).isEqualTo("ozworker.dev/v1alpha1");
              assertThat(owner.getKind()).isEqualTo("AgentTask");
              assertThat(owner.getName()).isEqualTo(PodFixtures.RUN_ID);
              assertThat(owner.getUid()).isEqualTo("uid-1234");
              assertThat(owner.getController()).isTrue();
              assertThat(owner.getBlockOwnerDeletion()).isTrue();
            });
  }

  @Test
  void aTaskThatIsNotStoredHasNoOwner() throws Exception {
    TaskObject unstored = new TaskObject("tasks", "hello", "", Optional.of("hello-env"));

    Pod pod = TaskPods.build(task().object(unstored).build(), DEFAULTS);

    assertThat(pod.getMetadata().getOwnerReferences()).isEmpty();
  }

  @Test
  void labelsAreTheReferencesTheOperatorsAndTheExtraOnesTheWorkersWinning() throws Exception {
    PodSettings settings =
        settings()
            .labels(
                Map.of(
                    "team", "agents",
                    "oz-task-id", "spoofed",
                    "app.kubernetes.io/managed-by", "helm"),
                Map.of("ozworker.dev/run-id", "spoofed", "note", "kept"))
            .build();

    Pod pod = TaskPods.build(task().build(), settings);

    assertThat(pod.getMetadata().getLabels())
        .containsOnly(
            Map.entry("team", "agents"),
            Map.entry("oz-worker-id", "worker-7f9c"),
            Map.entry("oz-worker-hash", PodLabels.hash("worker-7f9c")),
            Map.entry("oz-task-id", PodFixtures.RUN_ID),
            Map.entry("oz-task-hash", PodLabels.hash(PodFixtures.RUN_ID)),
            Map.entry("oz-execution-id", PodFixtures.EXECUTION_ID),
            Map.entry("oz-execution-hash", PodLabels.hash(PodFixtures.EXECUTION_ID)),
            Map.entry("app.kubernetes.io/managed-by", "oz-worker-operator"),
            Map.entry("ozworker.dev/agenttask", PodFixtures.RUN_ID),
            Map.entry("ozworker.dev/worker-id", "worker-7f9c"));
    assertThat(pod.getMetadata().getAnnotations())
        .containsOnly(
            Map.entry("ozworker.dev/run-id", PodFixtures.RUN_ID), Map.entry("note", "kept"));
  }

  @Test
  void withoutAnExecutionIdTheExecutionLabelsAreTheRunIds() throws Exception {
    Pod pod = TaskPods.build(task().runId("Run_1").executionId(Optional.empty()).build(), DEFAULTS);

    assertThat(pod.getMetadata().getLabels())
        .containsEntry("oz-task-id", "run_1")
        .containsEntry("oz-execution-id", "run_1")
        .containsEntry("oz-execution-hash", PodLabels.hash("Run_1"))
        .containsEntry("oz-task-hash", PodLabels.hash("Run_1"));
    assertThat(pod.getMetadata().getAnnotations()).containsEntry("ozworker.dev/run-id", "Run_1");
  }

  @Test
  void anAgentTaskNameThatIsNoLabelValueIsLabelledByAPrefixAndAHash() throws Exception {
    String longName = "a".repeat(70) + ".example";
    TaskObject task = new TaskObject("tasks", longName, "uid-1", Optional.of("s"));

    String label =
        TaskPods.build(task().object(task).build(), DEFAULTS)
            .getMetadata()
            .getLabels()
            .get("ozworker.dev/agenttask");

    assertThat(label).hasSizeLessThanOrEqualTo(63).startsWith("aaaa").matches("[a-z0-9-]+");
    assertThat(KubernetesNames.isLabelValue(label)).isTrue();
  }

  @Test
  void podNameIsTheRunIdWhenItIsAFittingDnsLabel() {
    assertThat(TaskPods.podName(PodFixtures.RUN_ID)).isEqualTo("oz-task-" + PodFixtures.RUN_ID);
    assertThat(TaskPods.podName("hello")).isEqualTo("oz-task-hello");
    assertThat(TaskPods.podName("a".repeat(55))).isEqualTo("oz-task-" + "a".repeat(55));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Run_1",
        "my.task",
        "-leading",
        "trailing-",
        "___",
        "",
        "ünïcode",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "x-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789"
      })
  void podNameIsAlwaysADnsLabelOfAtMost63DerivedFromTheRunIdAlone(String runId) {
    String name = TaskPods.podName(runId);

    assertThat(name).startsWith("oz-task-").hasSizeLessThanOrEqualTo(63);
    assertThat(KubernetesNames.isDnsLabel(name)).as(name).isTrue();
    assertThat(TaskPods.podName(runId)).isEqualTo(name);
    assertThat(name).matches("oz-task-.*-[0-9a-f]{10}");
  }

  @ParameterizedTest
  @CsvSource({
    "Run-1, run-1",
    "my.task, my-task",
    "a_b, a-b",
    PodFixtures.RUN_ID
        + "-0123456789abcdef-0123456789-x, "
        + PodFixtures.RUN_ID
        + "-0123456789abcdef-0123456789-y"
  })
  void idsThatSanitiseOrCutAlikeGetDifferentPodNames(String one, String other) {
    assertThat(TaskPods.podName(one)).isNotEqualTo(TaskPods.podName(other));
  }

  @ParameterizedTest
  @CsvSource({
    "28800, 0, 28800",
    "28800, 3600000, 3900",
    "600, 3600000, 600",
    ", 3600000, 3900",
    ", 0, ",
    ", 90500, 391"
  })
  void theDeadlineIsTheShorterOfTheConfiguredOneAndTheTasksTimeoutWithItsBackstop(
      Long configured, long timeoutMillis, Long expected) throws Exception {
    PodSettings settings =
        settings()
            .deadline(configured == null ? OptionalLong.empty() : OptionalLong.of(configured))
            .build();

    Pod pod = TaskPods.build(task().timeout(Duration.ofMillis(timeoutMillis)).build(), settings);

    assertThat(pod.getSpec().getActiveDeadlineSeconds()).isEqualTo(expected);
  }

  @Test
  void resourcesRequestWhatTheShapeLimits() throws Exception {
    Container half =
        container(
            TaskPods.build(
                task()
                    .limits(
                        new ResourceLimits(OptionalLong.of(1_500_000_000L), OptionalLong.empty()))
                    .build(),
                DEFAULTS),
            "task");
    Container none =
        container(TaskPods.build(task().limits(ResourceLimits.NONE).build(), DEFAULTS), "task");

    assertThat(half.getResources().getLimits())
        .containsOnly(Map.entry("cpu", new Quantity("1500m")));
    assertThat(half.getResources().getRequests()).isEqualTo(half.getResources().getLimits());
    assertThat(none.getResources()).isNull();
  }

  @Test
  void thePullPolicyAppliesToEveryImage() throws Exception {
    Pod pod = TaskPods.build(task().build(), settings().pullPolicy("Never").build());

    assertThat(container(pod, "task").getImagePullPolicy()).isEqualTo("Never");
    assertThat(initContainer(pod, "copy-sidecar-0").getImagePullPolicy()).isEqualTo("Never");
  }

  @Test
  void theTasksEnvironmentMayHoldOnlyLiteralsWhenNothingIsSecret() throws Exception {
    TaskObject noSecret = new TaskObject("tasks", "t", "uid-1", Optional.empty());

    Pod pod =
        TaskPods.build(
            task().object(noSecret).env(new TaskEnv.Entry("PLAIN", "1", false)).build(), DEFAULTS);

    assertThat(env(container(pod, "task"), "PLAIN").getValue()).isEqualTo("1");
  }
}
