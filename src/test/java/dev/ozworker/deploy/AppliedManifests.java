package dev.ozworker.deploy;

import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.kube.TestCluster;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The manifests applied to a real API server the way an operator applies them ({@code kubectl apply
 * --server-side -k}), through an overlay that moves them into a namespace of the test's own and
 * keeps the Deployment at 0 replicas (the test cluster may have no kubelet). Removing deletes that
 * namespace with everything in it, and the CRD only when it was not there before.
 */
final class AppliedManifests implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(30);

  final String namespace;
  private final KubernetesClient admin;
  private final Path dir;
  private final boolean crdExisted;

  private AppliedManifests(KubernetesClient admin, String namespace, Path dir, boolean crdExisted) {
    this.admin = admin;
    this.namespace = namespace;
    this.dir = dir;
    this.crdExisted = crdExisted;
  }

  /** Applies {@code manifests/<variant>} (base or an overlay) into {@code namespace}. */
  static AppliedManifests apply(KubernetesClient admin, String namespace, Path workDir)
      throws IOException, InterruptedException {
    var crds = admin.apiextensions().v1().customResourceDefinitions();
    // Another test may have just deleted the CRD; applying to one still terminating would see it
    // vanish under this test.
    await()
        .atMost(WAIT)
        .until(
            () -> {
              var crd = crds.withName(TestCluster.CRD_NAME).get();
              return crd == null || crd.getMetadata().getDeletionTimestamp() == null;
            });
    boolean existed = crds.withName(TestCluster.CRD_NAME).get() != null;
    AppliedManifests applied =
        new AppliedManifests(admin, namespace, Files.createDirectories(workDir), existed);
    applied.kubectlApply(Manifests.BASE, false);
    return applied;
  }

  /** {@code kubectl apply --server-side -k} of a variant moved into the test's namespace. */
  List<String> kubectlApply(Path variant, boolean dryRun) throws IOException, InterruptedException {
    Path overlay = Files.createDirectories(dir.resolve(variant.getFileName().toString()));
    Path target = overlay.toAbsolutePath().relativize(variant.toAbsolutePath());
    Files.writeString(
        overlay.resolve("kustomization.yaml"),
        """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        namespace: %s
        resources:
          - %s
        replicas:
          - name: oz-worker
            count: 0
        """
            .formatted(namespace, target));
    return TestCluster.kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        dryRun ? "--dry-run=server" : "--dry-run=none",
        "-k",
        overlay.toString());
  }

  /**
   * Deletes what the test made: its AgentTasks (the caller's worker must still run, to release
   * their finalizers), everything else in its namespace, the namespace, and the CRD if it was made
   * here. Without a controller manager nothing empties a deleted namespace, so this does what the
   * namespace controller does: delete the contents, then clear the namespace's finalizer.
   */
  @Override
  public void close() throws IOException, InterruptedException {
    var tasks = admin.resources(AgentTask.class).inNamespace(namespace);
    tasks.delete();
    await().atMost(WAIT).until(() -> tasks.list().getItems().isEmpty());
    TestCluster.kubectl(
        "delete",
        "-n",
        namespace,
        "--ignore-not-found",
        "--wait=true",
        "deployments,replicasets,pods,configmaps,secrets,serviceaccounts,roles,rolebindings,events",
        "--all");
    admin.namespaces().withName(namespace).delete();
    Namespace terminating = admin.namespaces().withName(namespace).get();
    if (terminating != null && terminating.getSpec().getFinalizers().contains("kubernetes")) {
      terminating.getSpec().setFinalizers(List.of());
      Path body =
          Files.writeString(
              dir.resolve("finalize.json"), admin.getKubernetesSerialization().asJson(terminating));
      TestCluster.kubectl(
          "replace",
          "--raw",
          "/api/v1/namespaces/" + namespace + "/finalize",
          "-f",
          body.toString());
    }
    await().atMost(WAIT).until(() -> admin.namespaces().withName(namespace).get() == null);
    if (!crdExisted) {
      TestCluster.removeCrd(admin);
    }
  }
}
