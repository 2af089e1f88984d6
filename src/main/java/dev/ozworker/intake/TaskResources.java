package dev.ozworker.intake;

import dev.ozworker.api.AgentTask;
import io.fabric8.kubernetes.api.model.Secret;

/**
 * What an assignment is stored as: the AgentTask, and the Secret holding its env_vars that the
 * AgentTask names in {@code spec.envFrom}.
 */
public record TaskResources(AgentTask agentTask, Secret envSecret) {
  @Override
  public String toString() {
    return "TaskResources[agentTask="
        + agentTask.getMetadata().getName()
        + ", envSecret="
        + envSecret.getMetadata().getName()
        + " (values hidden)]";
  }
}
