package dev.ozworker.deploy;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.EnvSource;
import dev.ozworker.backend.direct.DirectBackend;
import dev.ozworker.backend.docker.TestDocker;
import dev.ozworker.backend.kubernetes.KubernetesBackend;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.runtime.WorkerRuntime;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifests on a real API server (kube-local in CI; skipped elsewhere without KUBECONFIG):
 * applied with {@code kubectl apply --server-side -k}, the CRD served with its printer columns, the
 * Role checked with {@code kubectl auth can-i} as the worker's ServiceAccount both ways, every
 * overlay accepted by the server, and then a worker run out of cluster <em>as that
 * ServiceAccount</em> (impersonated, so every call it makes passes the Role or fails) with the real
 * Direct backend and a stand-in CLI: an Oz assignment and a hand-written task run end to end.
 *
 * <p>The Kubernetes overlay goes into a second namespace: its ServiceAccount is checked the same
 * way, and a worker impersonating it runs a task as a Pod on the cluster's kubelet (kube-local's
 * runs on the machine's Docker engine, where the test imports the task image), which needs every
 * verb the overlay's Role adds.
 */
class ManifestsApiServerIT {
  static final String API_KEY = "wk-manifests-it-81f";
  static final String WORKER_ID = "oz-worker-5c7f9d-manif";
  static final String POD_WORKER_ID = "oz-worker-5c7f9d-pods";

  /** How long a task Pod may take from assignment to its reported result. */
  static final Duration POD_RUN = Duration.ofSeconds(90);

  @TempDir static Path root;
  static KubernetesClient admin;
  static AppliedManifests applied;
  static String namespace;
  static String account;
  static AppliedManifests withPods;
  static String podNamespace;
  static String podAccount;
  static final List<AutoCloseable> started = new ArrayList<>();
  static FakeOzServer oz;
  static KubernetesClient asWorker;

  @BeforeAll
  static void applyTheManifestsAndStartAWorkerAsTheirServiceAccount() throws Exception {
    admin = TestCluster.connectOrSkip();
    namespace = "oz-it-" + UUID.randomUUID().toString().substring(0, 8);
    account = serviceAccount(namespace);
    applied = AppliedManifests.apply(admin, namespace, root.resolve("overlays"));
    oz = FakeOzServer.start(API_KEY);
    started.add(oz::close);

    podNamespace = "oz-it-" + UUID.randomUUID().toString().substring(0, 8);
    podAccount = serviceAccount(podNamespace);
    withPods = AppliedManifests.apply(admin, podNamespace, root.resolve("kubernetes-overlay"));
    withPods.kubectlApply(Manifests.KUBERNETES, false);

    asWorker = impersonating(account, namespace);
    started.add(asWorker::close);

    WorkerConfig worker = workerConfig();
    DirectBackend backend = DirectBackend.create(worker, hostEnvironment());
    started.add(backend);
    started.add(
        WorkerRuntime.start(
            asWorker, worker, List.of(backend), Clock.systemUTC(), true, LinkTimings.DEFAULT));
    await().atMost(AppliedManifests.WAIT).until(() -> oz.isConnected(WORKER_ID));
  }

  @AfterAll
  static void removeWhatThisTestMade() throws Exception {
    try {
      if (withPods != null) {
        withPods.close();
      }
    } finally {
      removeTheBaseAndStop();
    }
  }

  private static void removeTheBaseAndStop() throws Exception {
    try {
      if (applied != null) {
        applied.close();
      }
    } finally {
      for (AutoCloseable closeable : started.reversed()) {
        closeable.close();
      }
      if (admin != null) {
        admin.close();
      }
    }
  }

  @Test
  void theServiceAccountMayDoWhatTheWorkerDoesInItsNamespaceAndNothingElse() throws Exception {
    List<String> allowed =
        List.of(
            "create agenttasks.ozworker.dev",
            "watch agenttasks.ozworker.dev",
            "delete agenttasks.ozworker.dev",
            "update agenttasks.ozworker.dev --subresource=status",
            "patch agenttasks.ozworker.dev --subresource=status",
            "get secrets",
            "create secrets",
            "patch secrets",
            "create events",
            "patch events",
            "get pods");
    List<String> denied =
        List.of(
            "delete secrets",
            "list secrets",
            "watch secrets",
            "update secrets",
            "create pods",
            "list pods",
            "delete pods",
            "create deployments.apps",
            "update roles.rbac.authorization.k8s.io",
            "create leases.coordination.k8s.io",
            "get customresourcedefinitions.apiextensions.k8s.io --all-namespaces",
            "delete namespaces --all-namespaces",
            "get nodes --all-namespaces",
            "create agenttasks.ozworker.dev -n default",
            "get secrets -n default",
            "get secrets -n kube-system");

    assertPermissions(account, namespace, allowed, denied);
  }

  @Test
  void withTheKubernetesOverlayTheServiceAccountMayRunPodsInItsNamespaceAndNowhereElse()
      throws Exception {
    List<String> allowed =
        List.of(
            "create pods",
            "get pods",
            "list pods",
            "watch pods",
            "delete pods",
            "get pods --subresource=log",
            "list events",
            "watch events",
            "update agenttasks.ozworker.dev --subresource=finalizers",
            "create agenttasks.ozworker.dev",
            "get secrets");
    List<String> denied =
        List.of(
            "update pods",
            "patch pods",
            "create pods --subresource=exec",
            "create pods --subresource=attach",
            "list events -n default",
            "list secrets",
            "create pods -n " + namespace,
            "delete pods -n " + namespace,
            "get pods --subresource=log -n " + namespace,
            "create pods -n default",
            "delete pods -n kube-system",
            "list pods --all-namespaces",
            "get nodes --all-namespaces");

    assertPermissions(podAccount, podNamespace, allowed, denied);
    assertThat(canI(account, podNamespace, "create pods"))
        .as("the base's ServiceAccount gains nothing in the other namespace")
        .isEqualTo("no");
  }

  @Test
  void everyOverlayIsAcceptedByTheServer() throws Exception {
    for (Path overlay : Manifests.OVERLAYS) {
      assertThat(applied.kubectlApply(overlay, true))
          .contains(
              "deployment.apps/oz-worker serverside-applied (server dry run)",
              "configmap/oz-worker-config serverside-applied (server dry run)");
    }
    assertThat(applied.kubectlApply(Manifests.KUBERNETES, true))
        .contains(
            "role.rbac.authorization.k8s.io/oz-worker-task-pods serverside-applied (server dry"
                + " run)",
            "rolebinding.rbac.authorization.k8s.io/oz-worker-task-pods serverside-applied (server"
                + " dry run)");
  }

  @Test
  void withTheKubernetesOverlayATaskRunsAsAPodTheServiceAccountMakesFollowsAndRemoves()
      throws Exception {
    try (TestDocker docker = TestDocker.connect()) {
      String image = docker.busyboxWithEntrypoint("#!/bin/sh\necho \"agent: ran in a Pod\"\n");
      String taskId = UUID.randomUUID().toString();
      List<AutoCloseable> worker = new ArrayList<>();
      try {
        KubernetesClient client = impersonating(podAccount, podNamespace);
        worker.add(client::close);
        WorkerConfig config = kubernetesWorkerConfig();
        KubernetesBackend backend =
            KubernetesBackend.create(config, client, podNamespace, Clock.systemUTC());
        worker.add(backend);
        worker.add(
            WorkerRuntime.start(
                client, config, List.of(backend), Clock.systemUTC(), true, LinkTimings.DEFAULT));
        await().atMost(AppliedManifests.WAIT).until(() -> oz.isConnected(POD_WORKER_ID));
        ObjectNode assignment = assignment(taskId, Map.of());
        assignment.put("docker_image", image);

        oz.assign(POD_WORKER_ID, assignment);

        AgentTask done =
            await()
                .atMost(POD_RUN)
                .until(
                    () -> task(podNamespace, taskId),
                    task ->
                        task != null
                            && task.getStatus() != null
                            && Boolean.TRUE.equals(task.getStatus().getReported()));
        assertThat(done.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
        assertThat(done.getStatus().getLogTail())
            .as("the Pod's output, read through pods/log")
            .contains("agent: ran in a Pod");
        String pod = done.getStatus().getBackendRef().pod();
        assertThat(pod).isNotNull();
        await("the succeeded task's Pod is deleted at cleanup")
            .atMost(AppliedManifests.WAIT)
            .until(() -> admin.pods().inNamespace(podNamespace).withName(pod).get() == null);
      } finally {
        try {
          // The AgentTask goes while its worker still runs, which removes its finalizer.
          admin.resources(AgentTask.class).inNamespace(podNamespace).withName(taskId).delete();
          await().atMost(AppliedManifests.WAIT).until(() -> task(podNamespace, taskId) == null);
        } finally {
          for (AutoCloseable closeable : worker.reversed()) {
            closeable.close();
          }
          docker.removeImage(image);
        }
      }
    }
  }

  @Test
  void anOzAssignmentAndAHandWrittenTaskRunEndToEndAsTheServiceAccount() throws Exception {
    String taskId = UUID.randomUUID().toString();
    // The agent prints a line: kube-local's API server reads an empty string in a custom
    // resource as null and refuses a status with an empty log tail (HTTP 422).
    oz.assign(
        WORKER_ID,
        assignment(
            taskId,
            Map.of("STANDIN_RECORDS", records("oz").toString(), "STANDIN_SAY", "done: " + taskId)));

    AgentTask hello =
        Serialization.unmarshal(
            Files.readString(Path.of("examples/agenttask-hello.yaml")), AgentTask.class);
    hello.getMetadata().setNamespace(namespace);
    hello.getSpec().setEnvFrom(new EnvSource("hello-env"));
    admin
        .secrets()
        .inNamespace(namespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("hello-env")
                // Shared with hand-written tasks by the namespace's owner (docs/security.md).
                .addToLabels(AgentTaskKeys.USABLE_BY_TASKS_LABEL, "true")
                .endMetadata()
                .withStringData(
                    Map.of(
                        "STANDIN_RECORDS",
                        records("hello").toString(),
                        "STANDIN_SAY",
                        "hello from oz-worker-operator"))
                .build())
        .create();
    admin.resource(hello).create();

    await()
        .atMost(AppliedManifests.WAIT)
        .until(() -> oz.framesAbout(taskId, "task_completed").size() == 1);
    assertThat(oz.framesAbout(taskId, "task_claimed")).hasSize(1);
    assertThat(oz.framesAbout(taskId, "task_completed").getFirst().data().path("message").asText())
        .isEqualTo("Task completed successfully");
    AgentTask fromOz = awaitTornDown(taskId);
    await()
        .atMost(AppliedManifests.WAIT)
        .until(() -> Boolean.TRUE.equals(task(taskId).getStatus().getReported()));
    assertThat(fromOz.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(
            admin
                .secrets()
                .inNamespace(namespace)
                .withName(taskId + "-env")
                .get()
                .getMetadata()
                .getOwnerReferences())
        .extracting(owner -> owner.getUid())
        .containsExactly(fromOz.getMetadata().getUid());

    AgentTask done = awaitTornDown("hello");
    assertThat(done.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(done.getMetadata().getLabels()).containsEntry("ozworker.dev/worker-id", WORKER_ID);
    // The Secret's values are masked wherever the output is stored.
    assertThat(done.getStatus().getLogTail()).isEqualTo("agent says: [REDACTED]\n");
    assertThat(Files.readString(records("hello").resolve("argv"))).contains("--prompt");
    assertThat(
            admin
                .v1()
                .events()
                .inNamespace(namespace)
                .withField("involvedObject.name", "hello")
                .list()
                .getItems())
        .isNotEmpty();

    List<String> table = TestCluster.kubectl("get", "agenttasks", "-n", namespace);
    assertThat(table.getFirst())
        .matches("NAME\\s+PHASE\\s+TITLE\\s+WORKER\\s+EXIT\\s+REASON\\s+AGE");
    assertThat(table)
        .anyMatch(
            row -> row.matches("hello\\s+Succeeded\\s+Say hello\\s+" + WORKER_ID + "\\s+0\\s+.*"));
  }

  static WorkerConfig workerConfig() throws Exception {
    String fromCluster =
        admin
            .configMaps()
            .inNamespace(namespace)
            .withName("oz-worker-config")
            .get()
            .getData()
            .get("config.yaml");
    String logs = "task_log_dir: /var/lib/oz/logs";
    assertThat(fromCluster).contains(logs);
    Path ozCli = root.resolve("bin/oz");
    Files.createDirectories(ozCli.getParent());
    try (InputStream script =
        ManifestsApiServerIT.class.getResourceAsStream(
            "/dev/ozworker/backend/direct/oz-standin.sh")) {
      Files.write(ozCli, script.readAllBytes());
    }
    Files.setPosixFilePermissions(ozCli, PosixFilePermissions.fromString("rwx------"));
    // The ConfigMap as applied, with the paths of this machine and the Direct backend's block the
    // direct overlay adds; the worker id and namespace come from flags, as POD_NAME and
    // POD_NAMESPACE give them in a pod.
    String yaml =
        fromCluster.replace(logs, "task_log_dir: " + root.resolve("logs"))
            + """
            backend:
              direct:
                workspace_root: %s
                oz_path: %s
            """
                .formatted(root.resolve("workspaces"), ozCli);
    return WorkerConfigs.resolve(
        yaml,
        Map.of("WARP_API_KEY", API_KEY),
        "--worker-id",
        WORKER_ID,
        "--namespace",
        namespace,
        "--web-socket-url",
        oz.webSocketUrl().toString());
  }

  /**
   * The Kubernetes overlay's ConfigMap as applied, with the task log directory of this machine;
   * worker id, namespace and backend come from flags, as the Deployment gives them in a pod.
   */
  static WorkerConfig kubernetesWorkerConfig() throws Exception {
    String fromCluster =
        admin
            .configMaps()
            .inNamespace(podNamespace)
            .withName("oz-worker-config")
            .get()
            .getData()
            .get("config.yaml");
    String logs = "task_log_dir: /var/lib/oz/logs";
    assertThat(fromCluster).contains(logs, "kubernetes:");
    return WorkerConfigs.resolve(
        fromCluster.replace(logs, "task_log_dir: " + root.resolve("pod-logs")),
        Map.of("WARP_API_KEY", API_KEY),
        "--worker-id",
        POD_WORKER_ID,
        "--namespace",
        podNamespace,
        "--backend=kubernetes",
        "--web-socket-url",
        oz.webSocketUrl().toString());
  }

  static KubernetesClient impersonating(String user, String inNamespace) {
    Config config = Config.autoConfigure(null);
    config.setImpersonateUsername(user);
    config.setNamespace(inNamespace);
    return new KubernetesClientBuilder()
        .withHttpClientFactory(new JdkHttpClientFactory())
        .withConfig(config)
        .build();
  }

  static String serviceAccount(String inNamespace) {
    return "system:serviceaccount:" + inNamespace + ":" + Manifests.SERVICE_ACCOUNT;
  }

  static Map<String, String> hostEnvironment() throws Exception {
    return Map.of(
        "HOME", Files.createDirectories(root.resolve("home")).toString(),
        "TMPDIR", root.toString(),
        "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
  }

  static Path records(String run) {
    return root.resolve("records").resolve(run);
  }

  static void assertPermissions(
      String user, String inNamespace, List<String> allowed, List<String> denied) throws Exception {
    for (String check : allowed) {
      assertThat(canI(user, inNamespace, check)).as("%s may %s", user, check).isEqualTo("yes");
    }
    for (String check : denied) {
      assertThat(canI(user, inNamespace, check)).as("%s may not %s", user, check).isEqualTo("no");
    }
  }

  /**
   * {@code kubectl auth can-i} as {@code user}, in {@code inNamespace} unless the check names one.
   */
  static String canI(String user, String inNamespace, String check) throws Exception {
    List<String> args = new ArrayList<>(List.of("auth", "can-i", "--as=" + user));
    args.addAll(List.of(check.split(" ")));
    if (!check.contains(" -n ") && !check.contains("--all-namespaces")) {
      args.addAll(List.of("-n", inNamespace));
    }
    // "no" is an answer too: kubectl auth can-i says it with exit status 1.
    return Command.kubectl(args.toArray(String[]::new)).out().strip();
  }

  static AgentTask awaitTornDown(String name) {
    await()
        .atMost(AppliedManifests.WAIT)
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

  static AgentTask task(String name) {
    return task(namespace, name);
  }

  static AgentTask task(String inNamespace, String name) {
    return admin.resources(AgentTask.class).inNamespace(inNamespace).withName(name).get();
  }
}
