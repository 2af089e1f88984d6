package dev.ozworker.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.oz.fake.FakeOzServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A worker pool installed on the cluster as an operator installs it, {@code kubectl apply -k} of a
 * test overlay of {@code manifests/} ({@code overlays/test-direct}, {@code test-docker} or {@code
 * test-kubernetes} under this package's resources), made per run into a namespace of its own with
 * the images of {@link ClusterImages}, the address of a {@link FakeOzServer} on 127.0.0.1 (the pods
 * use the node's network) and its API key. Closing deletes the pool's AgentTasks, then its
 * namespace with the Deployment, Secret and RBAC in it, and the CRD only when this pool created it
 * and no AgentTask is left anywhere.
 */
final class ClusterPool implements AutoCloseable {
  static final String API_KEY = "wk-e2e-cluster-7d3";
  static final String SELECTOR = "app.kubernetes.io/name";
  static final Duration ROLLOUT = Duration.ofMinutes(3);

  /** max_concurrent_tasks of overlays/test-direct. */
  static final int DIRECT_CAPACITY = 4;

  static final Path OVERLAYS = Path.of("src/test/resources/dev/ozworker/e2e/overlays");

  final KubernetesClient admin;
  final String namespace;
  final FakeOzServer oz;

  /** When each worker id first connected ({@link System#nanoTime()}). */
  final Map<String, Long> connectedAt = new ConcurrentHashMap<>();

  private final boolean crdExisted;
  private volatile Consumer<String> whenConnected = worker -> {};

  private ClusterPool(KubernetesClient admin, String namespace, FakeOzServer oz, boolean crd) {
    this.admin = admin;
    this.namespace = namespace;
    this.oz = oz;
    this.crdExisted = crd;
    oz.onConnect(
        worker -> {
          connectedAt.putIfAbsent(worker, System.nanoTime());
          whenConnected.accept(worker);
        });
  }

  /** Calls {@code connected} with each worker id as it connects, as Oz offers work to it. */
  void whenConnected(Consumer<String> connected) {
    this.whenConnected = connected;
  }

  /**
   * Installs {@code overlay} ({@code test-direct}, {@code test-docker} or {@code test-kubernetes})
   * with {@code replicas} workers and waits until every one of them is connected to the fake Oz
   * server.
   */
  static ClusterPool install(ClusterImages images, String overlay, int replicas, Path dir)
      throws IOException, InterruptedException {
    return install(images, overlay, replicas, dir, "");
  }

  /**
   * {@link #install(ClusterImages, String, int, Path)}, with {@code deploymentOps} (JSON patch
   * operations, one YAML list item per line, indented as the Deployment patch of the generated
   * kustomization) applied to the worker Deployment as well.
   */
  static ClusterPool install(
      ClusterImages images, String overlay, int replicas, Path dir, String deploymentOps)
      throws IOException, InterruptedException {
    KubernetesClient admin = TestCluster.connectOrSkip();
    String namespace = "oz-e2e-" + UUID.randomUUID().toString().substring(0, 8);
    boolean crd =
        admin.apiextensions().v1().customResourceDefinitions().withName(TestCluster.CRD_NAME).get()
            != null;
    ClusterPool pool = new ClusterPool(admin, namespace, FakeOzServer.start(API_KEY), crd);
    try {
      Files.writeString(
          Files.createDirectories(dir).resolve("kustomization.yaml"),
          pool.kustomization(images, overlay, replicas, dir, deploymentOps));
      long applying = System.nanoTime();
      Command.kubectl("apply", "-k", dir.toString()).ok();
      Files.delete(dir.resolve("kustomization.yaml"));
      Files.delete(dir);
      Command.kubectl(
              "rollout", "status", "deployment/oz-worker", "-n", namespace, "--timeout=180s")
          .ok();
      ClusterTimings.print("rollout of " + replicas + " " + overlay + " workers", applying);
      pool.awaitWorkers(replicas);
      ClusterTimings.print(
          "apply -k to " + replicas + " " + overlay + " workers connected", applying);
      return pool;
    } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
      pool.close();
      throw e;
    }
  }

  private String kustomization(
      ClusterImages images, String overlay, int replicas, Path dir, String deploymentOps)
      throws IOException {
    URI api = URI.create(admin.getMasterUrl().toString());
    String supplementalGroups =
        overlay.equals("test-docker")
            ? """
                  - op: replace
                    path: /spec/template/spec/securityContext/supplementalGroups
                    value: [%d]
            """
                .formatted(
                    (Integer) Files.getAttribute(Path.of("/var/run/docker.sock"), "unix:gid"))
            : "";
    return """
    # Made by dev.ozworker.e2e.ClusterPool for one test run.
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    namespace: %s
    resources:
      - %s
    replicas:
      - name: oz-worker
        count: %d
    images:
      - name: oz-worker-operator
        newName: %s
        newTag: "%s"
      - name: docker.io/warpdotdev/warp-agent
        newName: %s
        newTag: "%s"
    secretGenerator:
      - name: oz-worker-api-key
        literals: [WARP_API_KEY=%s]
        options:
          disableNameSuffixHash: true
    patches:
      # The API server and the fake Oz server, both on the node's loopback: the pod network
      # and the Service of the API server have no data path on kube-local.
      - target:
          kind: Deployment
          name: oz-worker
        patch: |-
          - op: add
            path: /spec/template/spec/containers/0/args/-
            value: --web-socket-url=%s
          - op: add
            path: /spec/template/spec/containers/0/env/-
            value: {name: KUBERNETES_SERVICE_HOST, value: "%s"}
          - op: add
            path: /spec/template/spec/containers/0/env/-
            value: {name: KUBERNETES_SERVICE_PORT, value: "%d"}
    %s%s\
    """
        .formatted(
            namespace,
            dir.toAbsolutePath().relativize(OVERLAYS.resolve(overlay).toAbsolutePath()),
            replicas,
            ClusterImages.name(images.worker),
            ClusterImages.tag(images.worker),
            ClusterImages.name(images.agent),
            ClusterImages.tag(images.agent),
            API_KEY,
            oz.webSocketUrl(),
            api.getHost(),
            api.getPort(),
            deploymentOps,
            supplementalGroups);
  }

  /** The pool's pods that run and are not being deleted, by name. */
  List<String> pods() {
    return admin
        .pods()
        .inNamespace(namespace)
        .withLabel(SELECTOR, "oz-worker")
        .list()
        .getItems()
        .stream()
        .filter(pod -> pod.getMetadata().getDeletionTimestamp() == null)
        .filter(pod -> "Running".equals(pod.getStatus().getPhase()))
        .map(pod -> pod.getMetadata().getName())
        .sorted()
        .toList();
  }

  Optional<Pod> pod(String name) {
    return Optional.ofNullable(admin.pods().inNamespace(namespace).withName(name).get());
  }

  /** Waits until {@code count} pods run and each is connected to Oz under its name. */
  List<String> awaitWorkers(int count) {
    await()
        .atMost(ROLLOUT)
        .until(() -> pods().size() == count && pods().stream().allMatch(oz::isConnected));
    return pods();
  }

  void scale(int replicas) throws IOException, InterruptedException {
    Command.kubectl("scale", "deployment/oz-worker", "-n", namespace, "--replicas=" + replicas)
        .ok();
  }

  List<AgentTask> tasks() {
    return admin.resources(AgentTask.class).inNamespace(namespace).list().getItems();
  }

  /** The AgentTask of an Oz task. */
  AgentTask task(String ozTaskId) {
    return tasks().stream()
        .filter(task -> ozTaskId.equals(task.getSpec().getTaskId()))
        .findFirst()
        .orElse(null);
  }

  /** The Oz task ids of the pool's tasks in phase Running. */
  Set<String> running() {
    return tasks().stream()
        .filter(t -> t.getStatus() != null && t.getStatus().getPhase() == AgentTaskPhase.Running)
        .map(t -> t.getSpec().getTaskId())
        .collect(Collectors.toSet());
  }

  /** Every result frame the fake Oz server received about a task, in order. */
  List<FakeOzServer.Frame> results(String taskId) {
    return Stream.concat(
            oz.framesAbout(taskId, "task_completed").stream(),
            oz.framesAbout(taskId, "task_failed").stream())
        .toList();
  }

  static String reason(FakeOzServer.Frame result) {
    JsonNode reason = result.data().path("failure_reason");
    return result.type().equals("task_completed") ? "" : reason.asText();
  }

  /** {@code kubectl exec} in a worker pod's worker container. */
  Command exec(String pod, String... command) throws IOException, InterruptedException {
    return Command.kubectl(
        Stream.concat(
                Stream.of("exec", "-n", namespace, pod, "-c", "worker", "--"), Stream.of(command))
            .toArray(String[]::new));
  }

  /** Clears a task's finalizer, unless it is gone already. */
  private void release(AgentTask task) {
    TestCluster.releaseFinalizers(admin, namespace, task.getMetadata().getName());
  }

  /** The pods and the last lines of each worker's log, into the test's output, for a failure. */
  private void printWhatRan() throws IOException, InterruptedException {
    System.out.println(Command.kubectl("get", "pods", "-n", namespace, "-o", "wide").out());
    for (String pod : pods()) {
      Command logs = Command.kubectl("logs", "-n", namespace, pod, "-c", "worker", "--tail=25");
      System.out.println("--- last lines of " + pod + "\n" + logs.out() + logs.err());
    }
  }

  /**
   * Deletes the pool's AgentTasks, letting those of workers that are gone go first.
   *
   * @return the tasks their live worker did not let go of within 90 s, released then
   */
  private List<String> deleteTasks() {
    var tasks = admin.resources(AgentTask.class).inNamespace(namespace);
    List<String> live = pods();
    for (AgentTask task : tasks.list().getItems()) {
      String worker = task.getMetadata().getLabels().get(AgentTaskKeys.WORKER_ID_LABEL);
      if (worker == null || !live.contains(worker)) {
        release(task);
      }
    }
    tasks.delete();
    try {
      await().atMost(Duration.ofSeconds(90)).until(() -> tasks.list().getItems().isEmpty());
      return List.of();
    } catch (ConditionTimeoutException e) {
      // Their live worker did not let them go: a failure, reported after the namespace is
      // removed all the same.
      List<AgentTask> stuck = tasks.list().getItems();
      stuck.forEach(this::release);
      return stuck.stream().map(t -> t.getMetadata().getName()).toList();
    }
  }

  /**
   * Removes the pool. AgentTasks go first, while the workers that hold their finalizers still run;
   * a task whose worker is gone (scaled away, deleted) keeps its finalizer, which nobody else
   * releases, so it is cleared here as an operator would clear it.
   */
  @Override
  public void close() throws IOException, InterruptedException {
    try {
      if (admin.namespaces().withName(namespace).get() != null) {
        List<String> stuck;
        try {
          printWhatRan();
          stuck = deleteTasks();
        } finally {
          // also when the tasks cannot be listed (the CRD gone): the pool's workers go with it
          Command.kubectl("delete", "namespace", namespace, "--wait=true", "--timeout=180s").ok();
        }
        if (!stuck.isEmpty()) {
          throw new AssertionError("AgentTasks still held by their workers when deleted: " + stuck);
        }
      }
      boolean anyTaskLeft =
          !admin.resources(AgentTask.class).inAnyNamespace().list().getItems().isEmpty();
      if (!crdExisted && !anyTaskLeft) {
        TestCluster.removeCrd(admin);
      }
    } finally {
      oz.close();
      admin.close();
    }
  }
}
