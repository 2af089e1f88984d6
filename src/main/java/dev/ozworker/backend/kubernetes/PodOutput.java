package dev.ozworker.backend.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.nio.charset.StandardCharsets;

/**
 * A task Pod's output into its run's log: the setup container's, read whole once it has ended, then
 * the task container's, followed as the kubelet streams it. The stream ends when the container
 * does, which tells the run that its output is all in the log.
 */
final class PodOutput {
  private PodOutput() {}

  /** Copies the setup output if there is a setup, then follows the task container's. */
  static void follow(KubernetesClient client, PodRun run, boolean setup) {
    PodResource pod = client.pods().inNamespace(run.namespace()).withName(run.podName());
    if (setup) {
      copySetupOutput(run, pod);
    }
    try {
      LogWatch watch = pod.inContainer(TaskPods.TASK_CONTAINER).watchLog(run.log().asStream());
      run.following(watch);
    } catch (KubernetesClientException e) {
      run.log().line("(cannot follow the task container's output: " + e.getMessage() + ")");
      run.following(null);
    }
  }

  private static void copySetupOutput(PodRun run, PodResource pod) {
    try {
      String setup = pod.inContainer(TaskPods.SETUP_CONTAINER).getLog();
      byte[] bytes = setup.getBytes(StandardCharsets.UTF_8);
      run.log().write(bytes, 0, bytes.length);
    } catch (KubernetesClientException e) {
      run.log().line("(cannot read the setup container's output: " + e.getMessage() + ")");
    }
  }
}
