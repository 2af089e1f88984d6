package dev.ozworker.backend.kubernetes;

import dev.ozworker.task.TaskEnv;
import dev.ozworker.task.TaskObject;
import dev.ozworker.task.TaskSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment of a task's setup and task containers. A secret variable's value never enters the
 * Pod: the Pod refers to the key of that name in the task's Secret, and the kubelet reads it from
 * there when it starts the container.
 */
final class PodEnv {
  private PodEnv() {}

  /**
   * The task's variables (secret ones as references into the task's Secret), the operator's, then
   * {@code OZ_ENVIRONMENT_FILE}, {@code OZ_WORKSPACE_ROOT}, {@code OZ_WORKER_BACKEND} and {@code
   * OZ_RUN_ID}. A later variable of a name replaces an earlier one and keeps its place.
   */
  static List<EnvVar> of(TaskSpec spec, PodSettings settings) {
    List<EnvVar> env = new ArrayList<>();
    for (TaskEnv.Entry entry : spec.env().entries()) {
      env.add(
          entry.secret()
              ? fromSecret(entry.name(), spec.object())
              : literal(entry.name(), entry.value()));
    }
    settings.environment().forEach(variable -> env.add(literal(variable.name(), variable.value())));
    env.add(literal("OZ_ENVIRONMENT_FILE", TaskPods.ENVIRONMENT_FILE));
    env.add(literal("OZ_WORKSPACE_ROOT", TaskPods.WORKSPACE));
    env.add(literal("OZ_WORKER_BACKEND", TaskPods.BACKEND_NAME));
    env.add(literal("OZ_RUN_ID", spec.runId()));
    return merge(List.of(), env);
  }

  /** {@code base} then {@code override}; a later variable of a name replaces the earlier one. */
  static List<EnvVar> merge(List<EnvVar> base, List<EnvVar> override) {
    Map<String, EnvVar> byName = new LinkedHashMap<>();
    base.forEach(variable -> byName.put(variable.getName(), variable));
    override.forEach(variable -> byName.put(variable.getName(), variable));
    return new ArrayList<>(byName.values());
  }

  private static EnvVar literal(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  private static EnvVar fromSecret(String name, TaskObject task) {
    String secret =
        task.envSecret()
            .filter(s -> !s.isBlank())
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "variable "
                            + name
                            + " comes from the task's Secret, but AgentTask "
                            + task.name()
                            + " names no Secret (spec.envFrom): a Pod can only refer to a"
                            + " Secret by name"));
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewSecretKeyRef()
        .withName(secret)
        .withKey(name)
        .endSecretKeyRef()
        .endValueFrom()
        .build();
  }
}
