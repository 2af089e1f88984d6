package dev.ozworker.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.ApiFixtures;
import dev.ozworker.cli.ApiServerClient;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * The real API server of the API-server tests: the cluster {@code KUBECONFIG} names (kube-local in
 * CI). Required when {@code CI=true}; elsewhere a test without it is skipped. Tests work in {@code
 * default} (namespaces never finish deleting on an API server without a controller manager) and
 * label what they create with {@link #RUN_LABEL}, to delete exactly that.
 */
public final class TestCluster {
  public static final String NAMESPACE = "default";
  public static final String RUN_LABEL = "ozworker-test-run";
  public static final String CRD_NAME = "agenttasks.ozworker.dev";
  static final Duration WAIT = Duration.ofSeconds(30);

  private TestCluster() {}

  /** A client of the cluster; skips the calling test class when there is none outside CI. */
  public static KubernetesClient connectOrSkip() {
    String kubeconfig = System.getenv("KUBECONFIG");
    if (kubeconfig == null && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("CI runs this against kube-local: .ci/run sets KUBECONFIG");
    }
    assumeTrue(kubeconfig != null, "no KUBECONFIG: start ../shared/tools/kube-local to run this");
    // The worker's own kind of client, so that what a test measures is what a worker does.
    return ApiServerClient.connect(Config.autoConfigure(null));
  }

  /**
   * Applies the checked-in CRD and waits until it serves.
   *
   * @return true when this call created it (so the caller removes it again)
   */
  public static boolean installCrd(KubernetesClient client) throws IOException {
    var crds = client.apiextensions().v1().customResourceDefinitions();
    // Another test class may have just deleted the CRD; applying to one still terminating would
    // see it vanish under the test.
    await().atMost(WAIT).until(() -> !terminating(crds.withName(CRD_NAME).get()));
    boolean created = crds.withName(CRD_NAME).get() == null;
    crds.resource(ApiFixtures.crd()).forceConflicts().serverSideApply();
    await().atMost(WAIT).until(() -> established(crds.withName(CRD_NAME).get()));
    return created;
  }

  /** Deletes the CRD and waits until it is gone, so the next test class starts clean. */
  public static void removeCrd(KubernetesClient client) {
    var crds = client.apiextensions().v1().customResourceDefinitions();
    crds.withName(CRD_NAME).delete();
    await().atMost(WAIT).until(() -> crds.withName(CRD_NAME).get() == null);
  }

  /**
   * Lets a task's finalizer go, unless the task is gone already: a merge patch without a version,
   * so a worker still writing the task's status does not make it fail. For tasks whose worker is
   * gone.
   */
  public static void releaseFinalizers(KubernetesClient client, String namespace, String name) {
    try {
      client
          .resources(AgentTask.class)
          .inNamespace(namespace)
          .withName(name)
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}");
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  /** Runs kubectl against the same cluster; asserts it succeeds and returns its output lines. */
  public static List<String> kubectl(String... args) throws IOException, InterruptedException {
    return Command.kubectl(
            Stream.concat(Stream.of("--request-timeout=30s"), Stream.of(args))
                .toArray(String[]::new))
        .ok()
        .lines();
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null
        && crd.getStatus() != null
        && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"));
  }

  private static boolean terminating(CustomResourceDefinition crd) {
    return crd != null && crd.getMetadata().getDeletionTimestamp() != null;
  }
}
