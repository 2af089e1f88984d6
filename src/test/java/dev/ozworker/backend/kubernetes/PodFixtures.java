package dev.ozworker.backend.kubernetes;

import dev.ozworker.config.BackendKind;
import dev.ozworker.config.EnvVar;
import dev.ozworker.task.ResourceLimits;
import dev.ozworker.task.Sidecar;
import dev.ozworker.task.TaskEnv;
import dev.ozworker.task.TaskObject;
import dev.ozworker.task.TaskSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Tasks and settings the Pod tests build from. */
final class PodFixtures {
  static final String RUN_ID = "3f1c2a9e-0d7b-4a51-9c3e-5b2f1e8d7a60";
  static final String EXECUTION_ID = "9b8e7d6c-5a4f-4e3d-8c2b-1a0f9e8d7c6b";
  static final String WORKER_ID = "worker-7f9c";
  static final String SECRET_VALUE = "sk-SECRET-VALUE-must-never-appear";
  static final String ENV_SECRET = "3f1c2a9e-0d7b-4a51-9c3e-5b2f1e8d7a60-env";

  static final TaskObject OBJECT =
      new TaskObject("tasks", RUN_ID, "uid-1234", Optional.of(ENV_SECRET));

  private PodFixtures() {}

  /** A task from Oz with a secret variable, the agent sidecar and a shape, to change as needed. */
  static Task task() {
    return new Task();
  }

  /** A {@link TaskSpec} under construction. */
  static final class Task {
    String runId = RUN_ID;
    Optional<String> executionId = Optional.of(EXECUTION_ID);
    List<TaskEnv.Entry> env =
        List.of(
            new TaskEnv.Entry("TASK_ID", RUN_ID, false),
            new TaskEnv.Entry("GIT_TERMINAL_PROMPT", "0", false),
            new TaskEnv.Entry("API_TOKEN", SECRET_VALUE, true));
    List<String> args = List.of("agent", "run", "--task-id", RUN_ID, "--sandboxed");
    List<Sidecar> sidecars = List.of(new Sidecar("warpdotdev/agent:1.2", "/agent", false));
    ResourceLimits limits =
        new ResourceLimits(OptionalLong.of(2_000_000_000L), OptionalLong.of(4L << 30));
    Duration timeout = Duration.ZERO;
    TaskObject object = OBJECT;

    Task runId(String id) {
      runId = id;
      return this;
    }

    Task executionId(Optional<String> id) {
      executionId = id;
      return this;
    }

    Task env(TaskEnv.Entry... entries) {
      env = List.of(entries);
      return this;
    }

    Task args(String... tokens) {
      args = List.of(tokens);
      return this;
    }

    Task sidecars(Sidecar... mounts) {
      sidecars = List.of(mounts);
      return this;
    }

    Task limits(ResourceLimits shape) {
      limits = shape;
      return this;
    }

    Task timeout(Duration longest) {
      timeout = longest;
      return this;
    }

    Task object(TaskObject task) {
      object = task;
      return this;
    }

    TaskSpec build() {
      return new TaskSpec(
          runId,
          Optional.of(runId),
          executionId,
          BackendKind.DOCKER,
          "ubuntu:22.04",
          new TaskEnv(env),
          args,
          sidecars,
          limits,
          timeout,
          "",
          object);
    }
  }

  /** Settings with nothing configured but the worker id, to change as needed. */
  static Settings settings() {
    return new Settings();
  }

  /** {@link PodSettings} under construction. */
  static final class Settings {
    String pullPolicy = PodSettings.DEFAULT_PULL_POLICY;
    boolean imageVolumes;
    Optional<String> setup = Optional.empty();
    Optional<String> teardown = Optional.empty();
    Map<String, String> labels = Map.of();
    Map<String, String> annotations = Map.of();
    OptionalLong deadline = OptionalLong.empty();
    Optional<String> workspaceLimit = Optional.empty();
    Optional<PodSpec> template = Optional.empty();
    List<EnvVar> environment = List.of();

    Settings pullPolicy(String policy) {
      pullPolicy = policy;
      return this;
    }

    Settings imageVolumes() {
      imageVolumes = true;
      return this;
    }

    Settings setup(String command) {
      setup = Optional.of(command);
      return this;
    }

    Settings teardown(Optional<String> command) {
      teardown = command;
      return this;
    }

    Settings labels(Map<String, String> extra, Map<String, String> extraAnnotations) {
      labels = extra;
      annotations = extraAnnotations;
      return this;
    }

    Settings deadline(OptionalLong seconds) {
      deadline = seconds;
      return this;
    }

    Settings template(PodSpec spec) {
      template = Optional.of(spec);
      return this;
    }

    Settings environment(EnvVar... variables) {
      environment = List.of(variables);
      return this;
    }

    PodSettings build() {
      return new PodSettings(
          WORKER_ID,
          pullPolicy,
          imageVolumes,
          setup,
          teardown,
          labels,
          annotations,
          deadline,
          workspaceLimit,
          template,
          environment);
    }
  }

  static Container container(Pod pod, String name) {
    return pod.getSpec().getContainers().stream()
        .filter(container -> container.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  static Container initContainer(Pod pod, String name) {
    return pod.getSpec().getInitContainers().stream()
        .filter(container -> container.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  static io.fabric8.kubernetes.api.model.EnvVar env(Container container, String name) {
    return container.getEnv().stream()
        .filter(variable -> variable.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  static String yaml(Object object) {
    return Serialization.asYaml(object);
  }

  /** A Pod from YAML, as the API server would send it. */
  static Pod pod(String yaml) {
    return Serialization.unmarshal(yaml, Pod.class);
  }
}
