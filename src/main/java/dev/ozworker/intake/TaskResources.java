package dev.ozworker.intake;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Optional;

/**
 * What an assignment is stored as: the AgentTask, and the Secret holding its env_vars that the
 * AgentTask names in {@code spec.envFrom}; an assignment without env_vars has no Secret, which
 * saves a write per task (bench/README.md, "API writes per task").
 */
public record TaskResources(AgentTask agentTask, Optional<Secret> envSecret) {
  /**
   * The resources as stored in {@code namespace}: with the namespace, and each with the proof that
   * the intake stored it, which makes the task one from Oz and the Secret the task's own.
   */
  public TaskResources provenIn(String namespace, IntakeProof proof) {
    AgentTask task = new AgentTask();
    task.setMetadata(
        new ObjectMetaBuilder(agentTask.getMetadata())
            .withNamespace(namespace)
            .addToAnnotations(
                AgentTaskKeys.INTAKE_PROOF_ANNOTATION,
                proof.ofTask(namespace, agentTask.getMetadata().getName(), agentTask.getSpec()))
            .build());
    task.setSpec(agentTask.getSpec());
    Optional<Secret> secret =
        envSecret.map(
            unproven ->
                new SecretBuilder(unproven)
                    .editMetadata()
                    .withNamespace(namespace)
                    .addToAnnotations(
                        AgentTaskKeys.INTAKE_PROOF_ANNOTATION,
                        proof.ofSecret(
                            namespace,
                            unproven.getMetadata().getName(),
                            task.getMetadata().getName(),
                            task.getSpec()))
                    .endMetadata()
                    .build());
    return new TaskResources(task, secret);
  }

  /**
   * Whether {@code task} is an AgentTask the intake stored: it carries its valid proof. A {@code
   * spec.taskId} or a label anyone can write says nothing.
   */
  public static boolean storedByIntake(IntakeProof proof, AgentTask task) {
    var metadata = task.getMetadata();
    return proof.storedTask(
        metadata.getNamespace(), metadata.getName(), metadata.getAnnotations(), task.getSpec());
  }

  @Override
  public String toString() {
    return "TaskResources[agentTask="
        + agentTask.getMetadata().getName()
        + envSecret
            .map(s -> ", envSecret=" + s.getMetadata().getName() + " (values hidden)")
            .orElse("")
        + "]";
  }
}
