package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.BackendRef;
import dev.ozworker.config.BackendKind;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Takes over the tasks of a replica whose pod is gone. Pod names are worker ids in a Deployment, so
 * a replacement pod is a new worker and would never see its predecessor's tasks: a run left going,
 * a result not yet delivered or a teardown not yet done would wait forever. Each sweep lists the
 * namespace's tasks owned by other workers and adopts those still needing a worker whose owner's
 * pod no longer exists (or has ended); the relabelling makes this replica's controller reattach,
 * report, clean up and finally delete them as after its own restart.
 *
 * <p>A container run is adopted only by a replica on the node whose Docker engine runs it. A
 * process run died with its pod, so any replica may adopt it and ends it as lost. The relabelling
 * is written with optimistic locking, so of several replicas sweeping at once exactly one adopts.
 * Only a replica that runs in a pod sweeps: elsewhere a worker id names no pod and an absent pod
 * says nothing.
 */
final class TaskAdoption {
  private static final Logger log = LoggerFactory.getLogger(TaskAdoption.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String workerId;
  private final Optional<String> ownPod;
  private final Optional<String> nodeName;
  private final TaskOwnership ownership;
  private final Clock clock;
  private final TaskEvents events;
  private volatile boolean stopped;
  private volatile boolean forbidden;

  TaskAdoption(
      KubernetesClient client,
      String namespace,
      String workerId,
      Optional<String> ownPod,
      Optional<String> nodeName,
      TaskOwnership ownership,
      Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.workerId = workerId;
    this.ownPod = ownPod;
    this.nodeName = nodeName;
    this.ownership = ownership;
    this.clock = clock;
    this.events = new TaskEvents(workerId, clock);
  }

  /** Adopts nothing more, for a worker that is shutting down. */
  void stop() {
    stopped = true;
  }

  /**
   * One sweep; the caller repeats it. Problems with the API server are logged and left to the next
   * sweep.
   *
   * @return the names of the tasks adopted
   */
  Set<String> sweep() {
    if (stopped || forbidden) {
      return Set.of();
    }
    try {
      Map<String, Boolean> podGone = new HashMap<>();
      Set<String> adopted = new TreeSet<>();
      // Listed whole and filtered here: fabric8's mock API server ignores a `notin` selector.
      for (AgentTask task :
          client.resources(AgentTask.class).inNamespace(namespace).list().getItems()) {
        if (stopped) {
          break;
        }
        String owner = TaskOwnership.owner(task);
        Optional<String> pod = TaskOwnership.ownerPod(task);
        if (owner == null
            || owner.equals(workerId)
            || pod.isEmpty()
            || pod.equals(ownPod)
            || !needsAWorker(task)) {
          continue;
        }
        if (!reachable(task) || !podGone.computeIfAbsent(pod.get(), this::gone)) {
          continue;
        }
        if (adopt(task, pod.get())) {
          adopted.add(task.getMetadata().getName());
        }
      }
      return adopted;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
        forbidden = true;
        log.warn(
            "not adopting tasks of vanished replicas: the worker's ServiceAccount may not get pods"
                + " in {} (grant get on pods, as manifests/ does): {}",
            namespace,
            e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage());
      } else {
        log.warn("looking for tasks of vanished replicas failed; trying again: {}", e.toString());
      }
      return Set.of();
    }
  }

  private boolean adopt(AgentTask task, String pod) {
    String name = task.getMetadata().getName();
    try (var ignored = MDC.putCloseable("task", name)) {
      String previous = TaskOwnership.owner(task);
      if (!ownership.adopt(client, task)) {
        return false;
      }
      log.info("adopted AgentTask {}: pod {} of worker {} is gone", name, pod, previous);
      events.record(
          client,
          task,
          "Normal",
          "Adopted",
          "worker " + workerId + " takes over: pod " + pod + " of worker " + previous + " is gone");
      return true;
    }
  }

  /**
   * Whether the task still needs a worker: to run, to be reported, to be torn down, or — settled
   * but holding the finalizer — to be deleted when its TTL ends or a user deletes it, which would
   * otherwise wait forever on the finalizer of a worker that is gone.
   */
  static boolean needsAWorker(AgentTask task) {
    List<String> finalizers = task.getMetadata().getFinalizers();
    return !settled(task) || (finalizers != null && finalizers.contains(AgentTaskKeys.FINALIZER));
  }

  /** Finished, reported if it came from Oz, and torn down: nothing of its run is left. */
  private static boolean settled(AgentTask task) {
    AgentTaskStatus status = task.getStatus();
    if (status == null || status.getPhase() == null || !status.getPhase().isTerminal()) {
      return false;
    }
    boolean reportable =
        task.getSpec() != null
            && task.getSpec().getTaskId() != null
            && status.getPhase().reportsResult();
    boolean reported = Boolean.TRUE.equals(status.getReported());
    return (reported || !reportable) && tornDown(status);
  }

  private static boolean tornDown(AgentTaskStatus status) {
    return status.getBackendRef() == null
        || AgentTaskConditions.find(status.getConditions(), AgentTaskConditions.TORN_DOWN)
            .isPresent();
  }

  /**
   * Whether this replica can reach what is left of the run: a container not yet torn down only from
   * its own node; anything else from anywhere.
   */
  private boolean reachable(AgentTask task) {
    AgentTaskStatus status = task.getStatus();
    BackendRef ref = status == null ? null : status.getBackendRef();
    boolean container =
        ref != null
            && BackendKind.fromConfigName(ref.backend()).orElse(null) == BackendKind.DOCKER
            && status.getPhase() != AgentTaskPhase.Pending
            && !tornDown(status);
    return !container || (nodeName.isPresent() && nodeName.get().equals(status.getNodeName()));
  }

  /** The pod no longer exists, or has ended and will not run again. */
  private boolean gone(String pod) {
    Pod found = client.pods().inNamespace(namespace).withName(pod).get();
    if (found == null) {
      return true;
    }
    String phase = found.getStatus() == null ? null : found.getStatus().getPhase();
    return Objects.equals(phase, "Succeeded") || Objects.equals(phase, "Failed");
  }
}
