package dev.ozworker.e2e;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart installed on a real cluster by Helm's engine, as an operator installs it: {@code helm
 * install} of two Direct-backend workers (the cheapest backend here: no task Pods), which connect
 * to a fake Oz server and run one task each; {@code helm upgrade} to three, which all connect; and
 * {@code helm uninstall}, after which nothing of the release is left in its namespace, and the CRD
 * is (Helm never deletes what {@code crds/} installed).
 *
 * <p>The values are those a one-node cluster without a registry or pod network needs, as the
 * kustomize tests' {@code overlays/on-host} component sets them: local images never pulled, the
 * node's network (to reach the API server and the fake Oz server on 127.0.0.1), a free HTTP port.
 */
@ExtendWith(ClusterImages.Extension.class)
class ClusterHelmIT {
  static final String API_KEY = "wk-e2e-helm-5b1";
  static final String RELEASE = "oz-worker";
  static final Path CHART = Path.of("charts/oz-worker-operator");
  static final Duration WAIT = Duration.ofMinutes(3);

  /** What the namespace holds before any release: its default ServiceAccount, token, CA. */
  static final List<String> NAMESPACE_OWN =
      List.of("serviceaccount/default", "secret/default-token-", "configmap/kube-root-ca.crt");

  @TempDir static Path dir;
  static KubernetesClient admin;
  static String namespace;
  static FakeOzServer oz;
  static boolean crdExisted;
  static Path kubeconfig;

  @BeforeAll
  static void makeANamespaceAndAnOzServer() throws Exception {
    admin = TestCluster.connectOrSkip();
    kubeconfig = Path.of(System.getenv("KUBECONFIG"));
    crdExisted =
        admin.apiextensions().v1().customResourceDefinitions().withName(TestCluster.CRD_NAME).get()
            != null;
    namespace = "oz-helm-it-" + UUID.randomUUID().toString().substring(0, 8);
    admin
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    oz = FakeOzServer.start(API_KEY);
  }

  @AfterAll
  static void removeTheNamespaceAndTheCrdIfMadeHere() throws Exception {
    try {
      if (namespace != null) {
        Helm.uninstall(RELEASE)
            .withNamespace(namespace)
            .withKubeConfig(kubeconfig)
            .ignoreNotFound()
            .call();
        var tasks = admin.resources(AgentTask.class).inNamespace(namespace);
        tasks.list().getItems().forEach(task -> task.getMetadata().setFinalizers(List.of()));
        TestCluster.kubectl("delete", "namespace", namespace, "--wait=true", "--timeout=180s");
      }
      boolean anyTaskLeft =
          !admin.resources(AgentTask.class).inAnyNamespace().list().getItems().isEmpty();
      if (!crdExisted && !anyTaskLeft) {
        TestCluster.removeCrd(admin);
      }
    } finally {
      if (oz != null) {
        oz.close();
      }
      if (admin != null) {
        admin.close();
      }
    }
  }

  @Test
  void installRunsATaskOnEachWorkerUpgradeScalesAndUninstallLeavesOnlyTheCrd(ClusterImages images)
      throws Exception {
    Path values = Files.writeString(dir.resolve("values.yaml"), values(images));

    Release installed =
        new Helm(CHART)
            .install()
            .withName(RELEASE)
            .withNamespace(namespace)
            .withValuesFile(values)
            .withKubeConfig(kubeconfig)
            .waitReady()
            .withTimeout((int) WAIT.toSeconds())
            .call();

    assertThat(installed.getStatus()).isEqualTo("deployed");
    List<String> two = awaitWorkers(2);
    for (String worker : two) {
      String taskId = UUID.randomUUID().toString();
      oz.assign(worker, assignment(taskId, Map.of("E2E_SLEEP", "1")));
      await().atMost(WAIT).until(() -> !oz.framesAbout(taskId, "task_completed").isEmpty());
      assertThat(oz.framesAbout(taskId, "task_completed"))
          .singleElement()
          .extracting(Frame::workerId)
          .isEqualTo(worker);
      assertThat(oz.framesAbout(taskId, "task_failed")).isEmpty();
    }
    assertThat(tasks())
        .hasSize(2)
        .allSatisfy(
            task -> assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded));

    Release upgraded =
        new Helm(CHART)
            .upgrade()
            .withName(RELEASE)
            .withNamespace(namespace)
            .withValuesFile(values)
            .set("replicas", 3)
            .withKubeConfig(kubeconfig)
            .waitReady()
            .withTimeout((int) WAIT.toSeconds())
            .call();

    assertThat(upgraded.getRevision()).isEqualTo("2");
    assertThat(awaitWorkers(3)).containsAll(two);

    // As the chart's notes say: the AgentTasks go while their workers still run to release them.
    admin.resources(AgentTask.class).inNamespace(namespace).delete();
    await().atMost(WAIT).until(() -> tasks().isEmpty());
    assertThat(leftInTheNamespace())
        .as("the listing sees the release's objects, so that its emptiness below means something")
        .contains(
            "deployment.apps/oz-worker",
            "configmap/oz-worker-config",
            "secret/oz-worker-api-key",
            "serviceaccount/oz-worker",
            "role.rbac.authorization.k8s.io/oz-worker",
            "rolebinding.rbac.authorization.k8s.io/oz-worker",
            "poddisruptionbudget.policy/oz-worker")
        .anyMatch(name -> name.startsWith("secret/sh.helm.release.v1.oz-worker."));
    Helm.uninstall(RELEASE).withNamespace(namespace).withKubeConfig(kubeconfig).call();

    await().atMost(WAIT).until(() -> leftInTheNamespace().isEmpty());
    assertThat(
            admin
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName(TestCluster.CRD_NAME)
                .get())
        .isNotNull();
  }

  private static String values(ClusterImages images) {
    URI api = URI.create(admin.getMasterUrl().toString());
    return """
    replicas: 2
    image: {repository: %s, tag: "%s", pullPolicy: Never}
    warp:
      apiKeySecret: {create: true, value: %s}
      webSocketURL: %s
    backend:
      type: direct
      direct:
        config: {teardown_timeout: 30s, run_as_uid: null, run_as_gid: null}
        agentImage: {repository: %s, tag: "%s", pullPolicy: Never}
    worker:
      hostNetwork: true
      terminationGracePeriodSeconds: 30
      config: {task_timeout: 5m, cancel_grace_period: 2s, finished_task_ttl: 1h}
      extraArgs: [--http-address=127.0.0.1]
      extraEnv:
        - {name: KUBERNETES_SERVICE_HOST, value: "%s"}
        - {name: KUBERNETES_SERVICE_PORT, value: "%d"}
      resources:
        requests: {cpu: 50m, memory: 192Mi}
        limits: {cpu: "1", memory: 512Mi}
    metrics: {port: 0}
    podDisruptionBudget: {enabled: true}
    """
        .formatted(
            ClusterImages.name(images.worker),
            ClusterImages.tag(images.worker),
            API_KEY,
            oz.webSocketUrl(),
            ClusterImages.name(images.agent),
            ClusterImages.tag(images.agent),
            api.getHost(),
            api.getPort());
  }

  /** Waits until {@code count} worker pods run and each is connected to Oz under its name. */
  private static List<String> awaitWorkers(int count) {
    await()
        .atMost(WAIT)
        .until(() -> workers().size() == count && workers().stream().allMatch(oz::isConnected));
    return workers();
  }

  private static List<String> workers() {
    return admin
        .pods()
        .inNamespace(namespace)
        .withLabel("app.kubernetes.io/instance", RELEASE)
        .list()
        .getItems()
        .stream()
        .filter(pod -> pod.getMetadata().getDeletionTimestamp() == null)
        .filter(pod -> "Running".equals(pod.getStatus().getPhase()))
        .map(pod -> pod.getMetadata().getName())
        .sorted()
        .toList();
  }

  private static List<AgentTask> tasks() {
    return admin.resources(AgentTask.class).inNamespace(namespace).list().getItems();
  }

  /** Every object of the namespace, by kind and name, but those it holds of its own. */
  private static List<String> leftInTheNamespace() throws Exception {
    return TestCluster.kubectl(
            "get",
            "all,configmaps,secrets,serviceaccounts,roles,rolebindings,poddisruptionbudgets,"
                + "endpoints,agenttasks",
            "-n",
            namespace,
            "-o",
            "name")
        .stream()
        .filter(line -> !line.isBlank())
        .filter(line -> NAMESPACE_OWN.stream().noneMatch(line::startsWith))
        .toList();
  }
}
