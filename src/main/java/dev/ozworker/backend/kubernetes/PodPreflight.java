package dev.ozworker.backend.kubernetes;

import dev.ozworker.backend.TaskFailure;
import dev.ozworker.config.BackendKind;
import dev.ozworker.task.ResourceLimits;
import dev.ozworker.task.TaskEnv;
import dev.ozworker.task.TaskObject;
import dev.ozworker.task.TaskSpec;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The check a worker makes before it takes tasks: a task Pod built from the configured template is
 * created with a server-side dry run, so the API server's validation, the worker's RBAC and the
 * namespace's admission (Pod Security among it) all judge a real task Pod, and nothing is made. A
 * worker that could not run any task says so at start, not at the first task.
 */
final class PodPreflight {
  static final String RUN_ID = "preflight";

  private PodPreflight() {}

  /**
   * @return how long the API server took to answer
   * @throws IllegalStateException when the Pod is refused, saying what to fix
   */
  static Duration check(
      KubernetesClient client, String namespace, PodSettings settings, String image) {
    Pod pod;
    try {
      pod = TaskPods.build(task(namespace, image), settings);
    } catch (TaskFailure | IllegalArgumentException e) {
      throw new IllegalStateException(
          "backend.kubernetes cannot build a task Pod: " + e.getMessage(), e);
    }
    long start = System.nanoTime();
    try {
      client.pods().inNamespace(namespace).resource(pod).dryRun().create();
    } catch (KubernetesClientException e) {
      throw new IllegalStateException(
          "the API server refuses a task Pod in namespace "
              + namespace
              + " (a dry run at start): "
              + PodErrors.describe(e),
          e);
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** A task like every other, but with no secret and no owner (it is never stored). */
  private static TaskSpec task(String namespace, String image) {
    return new TaskSpec(
        RUN_ID,
        Optional.empty(),
        Optional.empty(),
        BackendKind.KUBERNETES,
        image,
        new TaskEnv(List.of()),
        List.of("agent", "run"),
        List.of(),
        ResourceLimits.NONE,
        Duration.ZERO,
        "",
        new TaskObject(namespace, RUN_ID, "", Optional.empty()));
  }
}
