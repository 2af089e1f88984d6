package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.HashMap;
import java.util.Map;

/**
 * Whose task it is. A task labelled with a worker id belongs to that replica; an unlabelled one
 * (applied by a user) goes to the first replica that labels it. The label is written with the
 * resourceVersion the replica read, so when several try at once the API server accepts exactly one
 * write and refuses the others with a conflict.
 */
final class TaskOwnership {
  private final String workerId;

  TaskOwnership(String workerId) {
    this.workerId = workerId;
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
    AgentTask labelled = client.getKubernetesSerialization().clone(task);
    Map<String, String> labels = new HashMap<>();
    if (task.getMetadata().getLabels() != null) {
      labels.putAll(task.getMetadata().getLabels());
    }
    labels.put(AgentTaskKeys.WORKER_ID_LABEL, workerId);
    labelled.getMetadata().setLabels(labels);
    labelled.setStatus(null);
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

  private static String owner(AgentTask task) {
    Map<String, String> labels = task.getMetadata().getLabels();
    return labels == null ? null : labels.get(AgentTaskKeys.WORKER_ID_LABEL);
  }
}
