package dev.ozworker.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.backend.kubernetes.PodLabels;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.observe.Redactor;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code demo --backend kubernetes --kubeconfig}, run in this process against a real cluster
 * (kube-local in CI: its kubelet runs on the local Docker engine, where the demo makes its image):
 * the same tasks end the same way, each in a Pod of the demo's image that is never pulled and owned
 * by its AgentTask; the demo prints how to list them, leaves none behind, and its secret shows
 * nowhere but masked in the task logs.
 */
class DemoKubernetesIT {
  static final String PODS_HINT =
      "  task Pods: kubectl get pods -n oz-demo -l app.kubernetes.io/managed-by=oz-worker-operator";

  @TempDir Path home;

  @Test
  void theDemoRunsEveryTaskAsAPodOfItsImageAndLeavesNoneBehind() {
    try (KubernetesClient client = TestCluster.connectOrSkip()) {
      Map<String, Pod> seen = new ConcurrentHashMap<>();
      DemoRun demo;
      try (SharedIndexInformer<Pod> pods = watchPods(client, seen)) {
        demo =
            DemoRun.of(
                home,
                "--backend",
                "kubernetes",
                "--kubeconfig",
                System.getenv("KUBECONFIG"),
                "--log-level",
                "info");
      }

      String shown = demo.out();
      assertThat(demo.status()).as(shown + demo.err()).isZero();
      assertThat(shown)
          .contains("run by the kubernetes backend in Pods of namespace oz-demo")
          .contains("imagePullPolicy Never: the image must be on the node")
          .contains(PODS_HINT + "\n")
          .containsPattern("→ task_assignment +demo-ok-")
          .containsPattern("→ task_cancellation +demo-cancel-")
          .containsPattern(
              "← task_failed +demo-fail-\\S+ +failure_reason=container_exit +exit_code=3")
          .containsPattern("demo-ok-\\S+ +Succeeded +Succeeded +0 +task_completed +yes")
          .containsPattern(
              "demo-fail-\\S+ +Failed +Failed +3 +container_exit +task_failed exit 3 +yes")
          .containsPattern(
              "demo-cancel-\\S+ +Cancelled +Cancelled +- +task_completed CANCELLED +yes")
          .containsPattern("hello\\S* +Succeeded +Succeeded +0 +\\(none: not from Oz\\) +yes")
          .contains("Every task ended as expected.")
          .contains("Removed the demo's 4 AgentTasks from namespace oz-demo");
      assertThat(shown + demo.err() + demo.logs()).doesNotContain("demo-secret-");

      String suffix = demo.printed("→ task_assignment +demo-ok-([0-9a-f]+)");
      String hello = demo.printed("applied examples/agenttask-hello.yaml as AgentTask (\\S+)");
      Map<String, Pod> ours = new HashMap<>();
      seen.values().stream()
          .filter(pod -> ran(pod, suffix, hello))
          .forEach(pod -> ours.put(runId(pod), pod));
      assertThat(ours)
          .as("one Pod per task")
          .containsOnlyKeys(
              "demo-ok-" + suffix, "demo-fail-" + suffix, "demo-cancel-" + suffix, hello);
      ours.forEach(
          (task, pod) -> {
            assertThat(pod.getSpec().getInitContainers())
                .as("%s: the agent comes with the image, no sidecar is copied", task)
                .isEmpty();
            Container container = pod.getSpec().getContainers().get(0);
            assertThat(container.getImage()).as(task).isEqualTo(DemoImages.POD_IMAGE);
            assertThat(container.getImagePullPolicy()).as(task).isEqualTo("Never");
            assertThat(pod.getMetadata().getOwnerReferences())
                .as("%s: owned by its AgentTask", task)
                .singleElement()
                .satisfies(owner -> assertThat(owner.getKind()).isEqualTo("AgentTask"));
            assertThat(pod.getMetadata().getLabels())
                .as(task)
                .containsEntry(PodLabels.OZ_WORKER_ID, Demo.WORKER_ID);
          });

      await()
          .atMost(Duration.ofSeconds(60))
          .alias("the Pods go with the AgentTasks the demo removed")
          .until(
              () ->
                  client
                      .pods()
                      .inNamespace(Demo.NAMESPACE)
                      .withLabel(PodLabels.MANAGED_BY, PodLabels.MANAGED_BY_VALUE)
                      .list()
                      .getItems()
                      .stream()
                      .noneMatch(pod -> ran(pod, suffix, hello)));
      assertThat(demo.taskLogs())
          .contains("demo agent: started by /agent/entrypoint.sh in a container")
          .contains("demo agent: signing in with token " + Redactor.MASK)
          .contains("demo agent: stopping on SIGTERM")
          .doesNotContain("demo-secret-");
    }
  }

  /** Whether the Pod ran one of this demo run's tasks. */
  private static boolean ran(Pod pod, String suffix, String hello) {
    String runId = runId(pod);
    return runId != null && (runId.endsWith("-" + suffix) || runId.equals(hello));
  }

  private static String runId(Pod pod) {
    return pod.getMetadata().getAnnotations() == null
        ? null
        : pod.getMetadata().getAnnotations().get(PodLabels.RUN_ID_ANNOTATION);
  }

  /** Every task Pod of namespace oz-demo as last seen, by name. */
  private static SharedIndexInformer<Pod> watchPods(
      KubernetesClient client, Map<String, Pod> seen) {
    return client
        .pods()
        .inNamespace(Demo.NAMESPACE)
        .withLabel(PodLabels.MANAGED_BY, PodLabels.MANAGED_BY_VALUE)
        .inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(Pod pod) {
                seen.put(pod.getMetadata().getName(), pod);
              }

              @Override
              public void onUpdate(Pod before, Pod pod) {
                seen.put(pod.getMetadata().getName(), pod);
              }

              @Override
              public void onDelete(Pod pod, boolean finalStateUnknown) {}
            });
  }
}
