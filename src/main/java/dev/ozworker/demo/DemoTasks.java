package dev.ozworker.demo;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskStatus;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * What a demo run leaves of its AgentTasks on a real cluster: nothing, or (with {@code --keep}) the
 * tasks that ended, for {@code kubectl get} and {@code kubectl describe}, with their Secrets and
 * Events. Either way no run is left going: a task is kept only once its run is over and torn down,
 * and the worker's finalizer comes off the tasks it has finished with, so that they (and the
 * namespace) can be deleted when no worker runs.
 */
record DemoTasks(KubernetesClient client, String namespace, PrintWriter out) {
  private static final long WAIT_SECONDS = 30;

  /**
   * While the worker still runs: deletes the tasks not kept, and waits until the worker has stopped
   * their runs and let them go.
   *
   * @param keep whether the tasks that ended stay; the others (whose runs would be left going) are
   *     deleted all the same
   * @return the names of the tasks kept
   */
  List<String> removeUnlessKept(List<String> created, boolean keep) {
    List<String> kept = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    for (String name : created) {
      AgentTask task = tasks().withName(name).get();
      if (task == null) {
        continue;
      }
      (keep && finished(task) ? kept : removed).add(name);
    }
    removed.forEach(name -> tasks().withName(name).delete());
    for (String name : removed) {
      tasks().withName(name).waitUntilCondition(Objects::isNull, WAIT_SECONDS, TimeUnit.SECONDS);
    }
    if (!keep) {
      out.println(
          "Removed the demo's " + removed.size() + " AgentTasks from namespace " + namespace);
    } else if (!removed.isEmpty()) {
      out.println(
          "Removed "
              + removed.size()
              + " AgentTasks that had not ended, so that none of their runs is left: "
              + String.join(" ", removed));
    }
    return kept;
  }

  /**
   * Once the worker has stopped: takes its finalizer off every task of the demo's worker that ended
   * and was torn down — those of earlier runs too, which this run's worker took up again — since no
   * worker is left to let them go when they are deleted.
   */
  void release(String workerId) {
    List<AgentTask> held =
        tasks().withLabel(AgentTaskKeys.WORKER_ID_LABEL, workerId).list().getItems().stream()
            .filter(DemoTasks::finished)
            .filter(
                task ->
                    task.getMetadata().getFinalizers() != null
                        && task.getMetadata().getFinalizers().contains(AgentTaskKeys.FINALIZER))
            .toList();
    for (AgentTask task : held) {
      try {
        tasks()
            .withName(task.getMetadata().getName())
            .edit(
                stored -> {
                  stored.getMetadata().getFinalizers().remove(AgentTaskKeys.FINALIZER);
                  return stored;
                });
      } catch (KubernetesClientException e) {
        out.println(
            "Could not take the worker's finalizer off AgentTask "
                + task.getMetadata().getName()
                + " (HTTP "
                + e.getCode()
                + "); deleting it waits for it: kubectl patch at -n "
                + namespace
                + " "
                + task.getMetadata().getName()
                + " --type merge -p '{\"metadata\":{\"finalizers\":null}}'");
      }
    }
  }

  /** Says what was kept and how to look at it and remove it. */
  void show(List<String> kept) {
    if (kept.isEmpty()) {
      return;
    }
    String example =
        kept.stream().filter(name -> name.startsWith("demo-fail-")).findFirst().orElse(kept.get(0));
    out.println(
        "Kept the demo's "
            + kept.size()
            + " AgentTasks in namespace "
            + namespace
            + " (with their Secrets and Events); the worker has stopped. Look at them with:");
    out.println("  kubectl get at -n " + namespace);
    out.println("  kubectl describe at -n " + namespace + " " + example);
    out.println("Remove them, and everything else the demo made in the cluster but the CRD, with:");
    out.println("  kubectl delete namespace " + namespace);
  }

  /** In a final phase, and nothing of its run is left: torn down, or never started. */
  static boolean finished(AgentTask task) {
    AgentTaskStatus status = task.getStatus();
    return status != null
        && status.getPhase() != null
        && status.getPhase().isTerminal()
        && (status.getBackendRef() == null || DemoScenario.tornDown(status));
  }

  private NonNamespaceOperation<AgentTask, KubernetesResourceList<AgentTask>, Resource<AgentTask>>
      tasks() {
    return client.resources(AgentTask.class).inNamespace(namespace);
  }
}
