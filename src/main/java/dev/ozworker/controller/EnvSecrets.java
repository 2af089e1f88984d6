package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.OwnedByTask;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The Secret named by an AgentTask's {@code spec.envFrom}: its entries, read only to hand them to
 * the resolver, and its owner reference. Only the Secret the intake made for the task ({@link
 * EnvSecretRule#isTasksOwn}) gets an owner reference, so deleting the task deletes it; a Secret a
 * user shares between tasks is never owned, and never garbage-collected with one of them.
 */
final class EnvSecrets {
  private final KubernetesClient client;
  private final EnvSecretRule rule;
  private final FreshSecrets fresh;

  EnvSecrets(KubernetesClient client, EnvSecretRule rule) {
    this(client, rule, new FreshSecrets(Clock.systemUTC()));
  }

  /** Takes a Secret the intake has just created from {@code fresh} rather than reading it. */
  EnvSecrets(KubernetesClient client, EnvSecretRule rule, FreshSecrets fresh) {
    this.client = client;
    this.rule = rule;
    this.fresh = fresh;
  }

  /** The task's Secret name, if it names one. */
  static Optional<String> secretName(AgentTask task) {
    return Optional.ofNullable(task.getSpec().getEnvFrom())
        .map(envFrom -> envFrom.secretName())
        .filter(name -> !name.isBlank());
  }

  /**
   * The Secret the task names, read once (or as the intake has just created it); empty when it
   * names none or the Secret is missing.
   */
  Optional<Secret> read(AgentTask task) {
    return secretName(task).map(name -> secret(task, name));
  }

  /** The Secret's entries, decoded. */
  static Map<String, String> entries(Secret secret) {
    Map<String, String> entries = new LinkedHashMap<>();
    if (secret.getData() != null) {
      secret
          .getData()
          .forEach(
              (key, value) ->
                  entries.put(
                      key, new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8)));
    }
    if (secret.getStringData() != null) {
      entries.putAll(secret.getStringData());
    }
    return entries;
  }

  /**
   * Makes the task own its Secret when the Secret was made for it; does nothing otherwise, or when
   * the task owns it already.
   */
  void own(AgentTask task, Secret secret) {
    try {
      patchOwners(task, secret);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      // The Secret changed since it was read: once more, on the version there now.
      Secret current = get(task.getMetadata().getNamespace(), secret.getMetadata().getName());
      if (current != null) {
        patchOwners(task, current);
      }
    }
  }

  private void patchOwners(AgentTask task, Secret secret) {
    if (!rule.isTasksOwn(task, secret) || ownedBy(secret, task)) {
      return;
    }
    OwnerReference owner = OwnedByTask.reference(task);
    List<OwnerReference> owners =
        new ArrayList<>(
            secret.getMetadata().getOwnerReferences() == null
                ? List.of()
                : secret.getMetadata().getOwnerReferences());
    owners.add(owner);
    // One request: a merge patch of the owners, built on the Secret as it was read and checked
    // against that version (a conflict fails it), instead of reading the Secret again to edit it.
    // Patched through the Secret itself: by name alone, the client would read it first.
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("resourceVersion", secret.getMetadata().getResourceVersion());
    metadata.put("ownerReferences", owners);
    client
        .secrets()
        .inNamespace(task.getMetadata().getNamespace())
        .resource(secret)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            client.getKubernetesSerialization().asJson(Map.of("metadata", metadata)));
  }

  private Secret secret(AgentTask task, String name) {
    String namespace = task.getMetadata().getNamespace();
    // A Secret the intake is still creating is not read: the task waits for its arrival.
    return fresh
        .take(namespace, name)
        .orElseGet(() -> fresh.isExpected(namespace, name) ? null : get(namespace, name));
  }

  private Secret get(String namespace, String name) {
    return client.secrets().inNamespace(namespace).withName(name).get();
  }

  private static boolean ownedBy(Secret secret, AgentTask task) {
    List<OwnerReference> owners = secret.getMetadata().getOwnerReferences();
    return owners != null
        && owners.stream().anyMatch(o -> Objects.equals(o.getUid(), task.getMetadata().getUid()));
  }
}
