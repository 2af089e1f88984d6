package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.config.ApiKey;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which Secret an AgentTask may take its environment from. The worker reads the Secret with its own
 * service account and hands its values to the agent, so naming a Secret must not be a way to read
 * one: a task may use the Secret the intake made for that very task, or a Secret the namespace's
 * owner labelled {@value AgentTaskKeys#USABLE_BY_TASKS_LABEL}{@code =true}; never the worker's
 * API-key Secret, nor any Secret holding the API key, labelled or not.
 */
final class EnvSecretRule {
  private final IntakeProof proof;
  private final ApiKey apiKey;
  private final String apiKeySecret;

  EnvSecretRule(WorkerConfig config, IntakeProof proof) {
    this.proof = proof;
    this.apiKey = config.apiKey();
    this.apiKeySecret = config.apiKeySecret();
  }

  /**
   * Whether {@code secret} is the one the intake made for {@code task}: both carry their proof, and
   * no other AgentTask owns the Secret (a task made again under the same name gets no Secret left
   * by the one before).
   */
  boolean isTasksOwn(AgentTask task, Secret secret) {
    return TaskOrigin.fromOz(proof, task)
        && proof.madeFor(
            task.getMetadata().getNamespace(),
            secret.getMetadata().getName(),
            secret.getMetadata().getAnnotations(),
            task.getMetadata().getName(),
            task.getSpec())
        && ownedByNoOtherTask(secret, task);
  }

  /** Why {@code task} may not use {@code secret}; empty when it may. No value is ever in it. */
  Optional<String> refusal(AgentTask task, Secret secret) {
    if (isTasksOwn(task, secret)) {
      return Optional.empty();
    }
    String name = secret.getMetadata().getName();
    String field = "Secret " + name + " (spec.envFrom.secretName)";
    if (name.equals(apiKeySecret) || holdsApiKey(secret)) {
      return Optional.of(
          field
              + " holds the worker's Oz API key, which no AgentTask may use: put the variables the"
              + " agent needs in a Secret of their own and name that one");
    }
    Map<String, String> labels = secret.getMetadata().getLabels();
    if (labels != null && "true".equals(labels.get(AgentTaskKeys.USABLE_BY_TASKS_LABEL))) {
      return Optional.empty();
    }
    return Optional.of(
        field
            + " was not made by the worker for this task, and is not marked as usable by tasks:"
            + " if every author of AgentTasks in namespace "
            + task.getMetadata().getNamespace()
            + " may read it, label it with `kubectl label secret "
            + name
            + " "
            + AgentTaskKeys.USABLE_BY_TASKS_LABEL
            + "=true`; otherwise name a Secret that is");
  }

  private boolean holdsApiKey(Secret secret) {
    byte[] key = apiKey.value().strip().getBytes(StandardCharsets.UTF_8);
    return EnvSecrets.entries(secret).values().stream()
        .anyMatch(
            value -> MessageDigest.isEqual(value.strip().getBytes(StandardCharsets.UTF_8), key));
  }

  private static boolean ownedByNoOtherTask(Secret secret, AgentTask task) {
    List<OwnerReference> owners = secret.getMetadata().getOwnerReferences();
    return owners == null
        || owners.stream()
            .filter(owner -> Objects.equals(owner.getKind(), task.getKind()))
            .allMatch(owner -> Objects.equals(owner.getUid(), task.getMetadata().getUid()));
  }
}
