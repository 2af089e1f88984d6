package dev.ozworker.deploy;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.EnvSource;
import dev.ozworker.backend.direct.DirectBackend;
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
 * Role checked with {@code kubectl auth can-i} as the worker's ServiceAccount both ways, both
 * overlays accepted by the server, and then a worker run out of cluster <em>as that
 * ServiceAccount</em> (impersonated, so every call it makes passes the Role or fails) with the real
 * Direct backend and a stand-in CLI: an Oz assignment and a hand-written task run end to end.
 */
class ManifestsApiServerIT {
  static final String API_KEY = "wk-manifests-it-81f";
  static final String WORKER_ID = "oz-worker-5c7f9d-manif";

  @TempDir static Path root;
  static KubernetesClient admin;
  static AppliedManifests applied;
  static String namespace;
  static String account;
  static final List<AutoCloseable> started = new ArrayList<>();
  static FakeOzServer oz;
  static KubernetesClient asWorker;

  @BeforeAll
  static void applyTheManifestsAndStartAWorkerAsTheirServiceAccount() throws Exception {
    admin = TestCluster.connectOrSkip();
    namespace = "oz-it-" + UUID.randomUUID().toString().substring(0, 8);
    account = "system:serviceaccount:" + namespace + ":" + Manifests.SERVICE_ACCOUNT;
    applied = AppliedManifests.apply(admin, namespace, root.resolve("overlays"));
    oz = FakeOzServer.start(API_KEY);
    started.add(oz::close);

    Config config = Config.autoConfigure(null);
    config.setImpersonateUsername(account);
    config.setNamespace(namespace);
    asWorker =
        new KubernetesClientBuilder()
            .withHttpClientFactory(new JdkHttpClientFactory())
            .withConfig(config)
            .build();
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
            "get secrets",
            "create secrets",
            "patch secrets",
            "create events",
            "get pods");
    List<String> denied =
        List.of(
            "patch agenttasks.ozworker.dev --subresource=status",
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

    for (String check : allowed) {
      assertThat(canI(check)).as("%s may %s", account, check).isEqualTo("yes");
    }
    for (String check : denied) {
      assertThat(canI(check)).as("%s may not %s", account, check).isEqualTo("no");
    }
  }

  @Test
  void bothOverlaysAreAcceptedByTheServer() throws Exception {
    for (Path overlay : List.of(Manifests.DOCKER, Manifests.DIRECT)) {
      assertThat(applied.kubectlApply(overlay, true))
          .contains(
              "deployment.apps/oz-worker serverside-applied (server dry run)",
              "configmap/oz-worker-config serverside-applied (server dry run)");
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

  static Map<String, String> hostEnvironment() throws Exception {
    return Map.of(
        "HOME", Files.createDirectories(root.resolve("home")).toString(),
        "TMPDIR", root.toString(),
        "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
  }

  static Path records(String run) {
    return root.resolve("records").resolve(run);
  }

  static String canI(String check) throws Exception {
    List<String> args = new ArrayList<>(List.of("auth", "can-i", "--as=" + account));
    args.addAll(List.of(check.split(" ")));
    if (!check.contains(" -n ") && !check.contains("--all-namespaces")) {
      args.addAll(List.of("-n", namespace));
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
    return admin.resources(AgentTask.class).inNamespace(namespace).withName(name).get();
  }
}
