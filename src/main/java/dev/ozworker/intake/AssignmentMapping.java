package dev.ozworker.intake;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.EnvSource;
import dev.ozworker.api.FailureReason;
import dev.ozworker.config.BackendKind;
import dev.ozworker.oz.OzTask;
import dev.ozworker.oz.Printable;
import dev.ozworker.oz.TaskAssignment;
import dev.ozworker.task.TaskIds;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns an assignment into the resources that store it: an AgentTask whose spec carries everything
 * but the secrets, and a Secret with the env_vars. Pure: nothing is sent or stored here.
 */
public final class AssignmentMapping {
  /** What a Secret key may be; every env_vars name must fit, as it becomes one. */
  private static final Pattern SECRET_KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");

  private final String workerId;
  private final BackendKind backend;
  private final Optional<String> podName;

  /**
   * @param workerId labels the resources, so this replica runs and reports the task
   * @param backend the backend this worker runs, recorded as a label
   */
  public AssignmentMapping(String workerId, BackendKind backend) {
    this(workerId, backend, Optional.empty());
  }

  /**
   * @param podName the replica's pod, recorded on the AgentTask so that another replica can adopt
   *     the task when that pod is gone
   */
  public AssignmentMapping(String workerId, BackendKind backend, Optional<String> podName) {
    this.workerId = workerId;
    this.backend = backend;
    this.podName = podName;
  }

  /** The resources for {@code assignment}, not yet stored (no namespace, no owner reference). */
  public TaskResources toResources(TaskAssignment assignment) throws InvalidAssignmentException {
    check(assignment);
    String taskId = assignment.taskId();
    OzTask task = assignment.task();
    String name = AgentTaskNames.agentTask(taskId, assignment.executionId());
    Map<String, String> labels =
        Map.of(
            AgentTaskKeys.WORKER_ID_LABEL, workerId,
            AgentTaskKeys.TASK_ID_LABEL, AgentTaskNames.taskIdLabel(taskId),
            AgentTaskKeys.BACKEND_LABEL, backend.toString());

    AgentTaskSpec spec = new AgentTaskSpec();
    spec.setTaskId(taskId);
    spec.setExecutionId(assignment.executionId());
    spec.setTitle(task.title());
    spec.setPrompt(task.prompt());
    spec.setImage(assignment.dockerImage());
    spec.setSidecarImage(assignment.sidecarImage());
    // Empty strings and lists are left out when the spec is written (AgentTaskSpec). The tokens
    // of additional_oz_args are kept verbatim, an empty one too: dropping it would change the
    // meaning of those after it. An API server that refuses it fails the task (ADR 0013).
    spec.setAdditionalSidecars(new ArrayList<>(assignment.additionalSidecars()));
    spec.setAdditionalOzArgs(new ArrayList<>(assignment.additionalOzArgs()));
    spec.setInstanceShape(assignment.instanceShape());
    spec.setAgentConfig(task.agentConfigSnapshot());
    spec.setOwner(task.owner());
    Optional<Secret> envSecret =
        assignment.envVars().isEmpty()
            ? Optional.empty()
            : Optional.of(envSecret(AgentTaskNames.envSecret(name), labels, assignment));
    envSecret.ifPresent(secret -> spec.setEnvFrom(new EnvSource(secret.getMetadata().getName())));

    AgentTask agentTask = new AgentTask();
    agentTask.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withLabels(labels)
            .withAnnotations(
                podName.map(pod -> Map.of(AgentTaskKeys.POD_ANNOTATION, pod)).orElse(Map.of()))
            .build());
    agentTask.setSpec(spec);
    return new TaskResources(agentTask, envSecret);
  }

  private static Secret envSecret(
      String name, Map<String, String> labels, TaskAssignment assignment) {
    Map<String, String> data = new TreeMap<>();
    Base64.Encoder base64 = Base64.getEncoder();
    assignment
        .envVars()
        .forEach(
            (key, value) ->
                data.put(key, base64.encodeToString(value.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(labels)
        .endMetadata()
        .withType("Opaque")
        .withImmutable(true)
        .withData(data)
        .build();
  }

  private static void check(TaskAssignment assignment) throws InvalidAssignmentException {
    String taskId = assignment.taskId();
    String idProblem = TaskIds.problem(taskId);
    if (idProblem != null) {
      // The reference fails such a task when it makes its workspace: the id names a directory.
      throw new InvalidAssignmentException(
          FailureReason.WORKSPACE_SETUP, "task_id " + Printable.of(taskId) + " " + idProblem);
    }
    if (assignment.task() == null) {
      throw new InvalidAssignmentException(FailureReason.UNKNOWN, "task is missing");
    }
    String innerId = assignment.task().id();
    if (innerId != null && !innerId.isEmpty() && !innerId.equals(taskId)) {
      throw new InvalidAssignmentException(
          FailureReason.UNKNOWN,
          "task.id " + Printable.of(innerId) + " differs from task_id " + Printable.of(taskId));
    }
    for (String name : assignment.envVars().keySet()) {
      if (!SECRET_KEY.matcher(name).matches()) {
        throw new InvalidAssignmentException(
            FailureReason.UNKNOWN,
            "env_vars name "
                + Printable.of(name)
                + " is not usable: names are 1-253 letters, digits, '-', '_' or '.'");
      }
    }
  }
}
