package dev.ozworker.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * kubectl as the user's interface to a pool of two Direct-backend workers: {@code
 * examples/agenttask-hello.yaml} runs on exactly one replica, {@code kubectl delete agenttask}
 * cancels a running task and its teardown runs, {@code kubectl describe} shows conditions and
 * Events, and the workers' ServiceAccount may do what a worker does and nothing more.
 */
@ExtendWith(ClusterImages.Extension.class)
class ClusterKubectlIT {
  static final Duration WAIT = Duration.ofSeconds(90);
  static final String TEARDOWNS = "/var/lib/oz/logs/teardowns";

  @TempDir static Path dir;
  static ClusterImages images;
  static ClusterPool pool;
  static KubernetesClient admin;

  @BeforeAll
  static void useTheSharedPool(ClusterImages built, ClusterPool shared) {
    images = built;
    pool = shared;
    admin = shared.admin;
  }

  @Test
  void theHelloExampleRunsOnExactlyOneReplicaAndDescribeShowsConditionsAndEvents()
      throws Exception {
    Command.kubectl("apply", "-n", pool.namespace, "-f", "examples/agenttask-hello.yaml").ok();

    AgentTask hello = awaitTornDown("hello");
    assertThat(hello.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    String worker = hello.getMetadata().getLabels().get(AgentTaskKeys.WORKER_ID_LABEL);
    assertThat(pool.pods()).contains(worker);
    assertThat(hello.getStatus().getWorkerId()).isEqualTo(worker);
    // Each run is torn down once, by the replica that ran it: one trace in one pod.
    String runId = hello.getStatus().getBackendRef().runId();
    List<String> ranIn = new ArrayList<>();
    for (String pod : pool.pods()) {
      if (pool.exec(pod, "cat", TEARDOWNS).out().lines().anyMatch(runId::equals)) {
        ranIn.add(pod);
      }
    }
    assertThat(ranIn).containsExactly(worker);

    String described =
        Command.kubectl("describe", "agenttask", "hello", "-n", pool.namespace).ok().out();
    // A task on its usual way writes no Event for it (each is a write to the shared API server):
    // the conditions tell its way, and the Event says which replica took the hand-written task.
    assertThat(described)
        .contains("Conditions:", "Accepted", "Started", "Completed", "TornDown", "Events:")
        .containsPattern("Normal\\s+Claimed")
        .doesNotContainPattern("Normal\\s+Preparing")
        .doesNotContainPattern("Normal\\s+Succeeded");
  }

  @Test
  void deletingARunningTaskCancelsItAndItsTeardownRuns() throws Exception {
    Path yaml =
        Files.writeString(
            dir.resolve("long.yaml"),
            Files.readString(Path.of("examples/agenttask-hello.yaml"))
                .replace("name: hello", "name: long-hello")
                .replaceFirst("prompt: .*", "prompt: sleep 300"));
    Command.kubectl("apply", "-n", pool.namespace, "-f", yaml.toString()).ok();
    await().atMost(WAIT).until(() -> phase("long-hello") == AgentTaskPhase.Running);
    AgentTask running = task("long-hello");
    String worker = running.getStatus().getWorkerId();
    String runId = running.getStatus().getBackendRef().runId();
    String workspace = running.getStatus().getBackendRef().workspace();
    assertThat(pool.exec(worker, "ps").ok().out()).contains("sleep 300");

    long deleting = System.nanoTime();
    Command.kubectl("delete", "agenttask", "long-hello", "-n", pool.namespace, "--timeout=150s")
        .ok();
    ClusterTimings.print("kubectl delete agenttask of a running task until it is gone", deleting);

    assertThat(task("long-hello")).isNull();
    assertThat(pool.exec(worker, "cat", TEARDOWNS).out().lines()).contains(runId);
    assertThat(pool.exec(worker, "ps").ok().out()).doesNotContain("sleep 300");
    assertThat(pool.exec(worker, "test", "-e", workspace).status())
        .as("workspace %s removed", workspace)
        .isEqualTo(1);
  }

  @Test
  void theServiceAccountMayDoWhatAWorkerDoesAndNothingElse() throws Exception {
    List<String> allowed =
        new ArrayList<>(
            List.of(
                "get agenttasks.ozworker.dev",
                "list agenttasks.ozworker.dev",
                "watch agenttasks.ozworker.dev",
                "create agenttasks.ozworker.dev",
                "update agenttasks.ozworker.dev",
                "patch agenttasks.ozworker.dev",
                "delete agenttasks.ozworker.dev",
                "update agenttasks.ozworker.dev --subresource=status",
                "patch agenttasks.ozworker.dev --subresource=status",
                "get secrets",
                "create secrets",
                "patch secrets",
                "create events",
                "patch events",
                // to see that the pod of another replica is gone, and adopt its tasks
                "get pods"));
    List<String> denied =
        new ArrayList<>(
            List.of(
                "delete secrets",
                "deletecollection agenttasks.ozworker.dev",
                "list secrets",
                "watch secrets",
                "update secrets",
                "list pods",
                "create pods",
                "delete pods",
                "create pods --subresource=exec",
                "update deployments.apps",
                "patch deployments.apps --subresource=scale",
                "update roles.rbac.authorization.k8s.io",
                "create rolebindings.rbac.authorization.k8s.io",
                "create serviceaccounts --subresource=token",
                "get configmaps",
                "get customresourcedefinitions.apiextensions.k8s.io --all-namespaces",
                "get nodes --all-namespaces",
                "delete namespaces --all-namespaces",
                "list agenttasks.ozworker.dev -n default",
                "get secrets -n default",
                "get secrets -n kube-system"));

    String account = "system:serviceaccount:" + pool.namespace + ":oz-worker";
    for (String check : allowed) {
      assertThat(canI(account, check)).as("%s may %s", account, check).isEqualTo("yes");
    }
    for (String check : denied) {
      assertThat(canI(account, check)).as("%s may not %s", account, check).isEqualTo("no");
    }
  }

  private static String canI(String account, String check) throws Exception {
    List<String> args = new ArrayList<>(List.of("auth", "can-i", "--as=" + account));
    args.addAll(List.of(check.split(" ")));
    if (!check.contains(" -n ") && !check.contains("--all-namespaces")) {
      args.addAll(List.of("-n", pool.namespace));
    }
    return Command.kubectl(args.toArray(String[]::new)).out().strip();
  }

  private static AgentTask awaitTornDown(String name) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              AgentTask task = task(name);
              return task != null
                  && task.getStatus() != null
                  && task.getStatus().getConditions().stream()
                      .anyMatch(
                          c -> c.getType().equals("TornDown") && c.getStatus().equals("True"));
            });
    return task(name);
  }

  private static AgentTaskPhase phase(String name) {
    AgentTask task = task(name);
    return task == null || task.getStatus() == null ? null : task.getStatus().getPhase();
  }

  private static AgentTask task(String name) {
    return admin.resources(AgentTask.class).inNamespace(pool.namespace).withName(name).get();
  }
}
