package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Whose task it is. A task labelled with a worker id belongs to that replica; an unlabelled one
 * (applied by a user) goes to the first replica that labels it, and one whose replica's pod is gone
 * to the first replica that adopts it. The label is written with the resourceVersion the replica
 * read, so when several try at once the API server accepts exactly one write and refuses the others
 * with a conflict. A replica running in a pod also writes the pod's name, so that others can tell
 * when the owner is gone.
 */
final class TaskOwnership {
  private final String workerId;
  private final Optional<String> podName;

  TaskOwnership(String workerId) {
    this(workerId, Optional.empty());
  }

  TaskOwnership(String workerId, Optional<String> podName) {
    this.workerId = workerId;
    this.podName = podName;
  }

  boolean isMine(AgentTask task) {
    return workerId.equals(owner(task));
  }

  /** No replica has claimed it. */
  boolean isUnclaimed(AgentTask task) {
    String owner = owner(task);
    return owner == null || owner.isEmpty();
  }

  /** This replica's tasks and the unclaimed ones; the informer filter. */
  boolean concernsThisWorker(AgentTask task) {
    return isMine(task) || isUnclaimed(task);
  }

  /**
   * Labels the task with this worker's id, if no one changed it since it was read.
   *
   * @return true when this replica now owns the task; false when another write came first
   */
  boolean claim(KubernetesClient client, AgentTask task) {
    AgentTask labelled = labelled(client, task);
    labelled.setStatus(null);
    return write(client, labelled);
  }

  /**
   * Takes over a task whose owner is gone, keeping what its status says of the run, if no one
   * changed it since it was read.
   *
   * @return true when this replica now owns the task; false when another write came first
   */
  boolean adopt(KubernetesClient client, AgentTask task) {
    return write(client, labelled(client, task));
  }

  /** The pod of the task's owner, as the owner wrote it; empty when it did not run in a pod. */
  static Optional<String> ownerPod(AgentTask task) {
    Map<String, String> annotations = task.getMetadata().getAnnotations();
    String annotated = annotations == null ? null : annotations.get(AgentTaskKeys.POD_ANNOTATION);
    if (annotated != null && !annotated.isEmpty()) {
      return Optional.of(annotated);
    }
    return Optional.ofNullable(task.getStatus())
        .map(status -> status.getPodName())
        .filter(pod -> !pod.isEmpty());
  }

  private AgentTask labelled(KubernetesClient client, AgentTask task) {
    AgentTask labelled = client.getKubernetesSerialization().clone(task);
    Map<String, String> labels = new HashMap<>();
    if (task.getMetadata().getLabels() != null) {
      labels.putAll(task.getMetadata().getLabels());
    }
    labels.put(AgentTaskKeys.WORKER_ID_LABEL, workerId);
    labelled.getMetadata().setLabels(labels);
    Map<String, String> annotations = new HashMap<>();
    if (task.getMetadata().getAnnotations() != null) {
      annotations.putAll(task.getMetadata().getAnnotations());
    }
    annotations.remove(AgentTaskKeys.POD_ANNOTATION);
    podName.ifPresent(pod -> annotations.put(AgentTaskKeys.POD_ANNOTATION, pod));
    labelled.getMetadata().setAnnotations(annotations);
    return labelled;
  }

  private static boolean write(KubernetesClient client, AgentTask labelled) {
    try {
      client.resource(labelled).update();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT
          || e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  static String owner(AgentTask task) {
    Map<String, String> labels = task.getMetadata().getLabels();
    return labels == null ? null : labels.get(AgentTaskKeys.WORKER_ID_LABEL);
  }
}
