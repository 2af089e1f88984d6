package dev.ozworker.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.kube.TestCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart against a real API server (kube-local in CI; skipped elsewhere without KUBECONFIG):
 * every object {@code helm template} renders for each backend is accepted by a server-side dry run,
 * and it renders what {@code kubectl kustomize} makes of that backend's overlay: the same Roles,
 * and the same worker pod but for the two flags the chart always passes.
 */
class HelmChartApiServerIT {
  /** What the chart passes that the manifests leave to the defaults, with those defaults. */
  static final List<String> CHART_ONLY_ARGS = List.of("--log-level=info", "--http-port=9090");

  @TempDir static Path dir;
  static KubernetesClient admin;
  static String namespace;

  @BeforeAll
  static void makeANamespace() {
    admin = TestCluster.connectOrSkip();
    namespace = "oz-helm-it-" + UUID.randomUUID().toString().substring(0, 8);
    admin
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
  }

  @AfterAll
  static void removeTheNamespace() throws Exception {
    if (admin != null) {
      try {
        if (namespace != null) {
          TestCluster.kubectl("delete", "namespace", namespace, "--wait=true", "--timeout=120s");
        }
      } finally {
        admin.close();
      }
    }
  }

  @Test
  void everyObjectOfEachBackendIsAcceptedByAServerSideDryRun() throws Exception {
    for (String backend : HelmChart.BACKENDS) {
      String rendered =
          HelmChart.template(
              namespace,
              dir,
              """
              backend: {type: %s}
              warp: {apiKeySecret: {create: true, value: wk-dry-run}}
              """
                  .formatted(backend));
      List<HasMetadata> objects = HelmChart.objects(rendered);
      Path file = Files.writeString(dir.resolve(backend + ".yaml"), rendered);

      List<String> applied =
          TestCluster.kubectl("apply", "--dry-run=server", "-n", namespace, "-f", file.toString());

      assertThat(applied).as(backend).hasSize(objects.size());
      assertThat(applied).as(backend).allMatch(line -> line.endsWith("(server dry run)"));
      assertThat(applied)
          .as(backend)
          .contains(
              "deployment.apps/oz-worker created (server dry run)",
              "secret/oz-worker-api-key created (server dry run)");
    }
  }

  @Test
  void eachBackendRendersTheRolesAndWorkerPodOfItsKustomizeOverlay() throws Exception {
    for (String backend : HelmChart.BACKENDS) {
      List<HasMetadata> chart =
          HelmChart.objects(
              HelmChart.template(
                  Manifests.NAMESPACE, dir, "backend: {type: %s}\n".formatted(backend)));
      List<HasMetadata> kustomized =
          HelmChart.objects(
              String.join(
                  "\n",
                  TestCluster.kubectl(
                      "kustomize", Manifests.ROOT.resolve("overlays/" + backend).toString())));

      assertThat(HelmRbacTest.rules(chart)).as(backend).isEqualTo(HelmRbacTest.rules(kustomized));
      assertThat(HelmRbacTest.bindings(chart))
          .as(backend)
          .isEqualTo(HelmRbacTest.bindings(kustomized));
      PodSpec fromChart = podSpec(chart);
      Container worker = fromChart.getContainers().getFirst();
      assertThat(worker.getArgs()).containsAll(CHART_ONLY_ARGS);
      worker.getArgs().removeAll(CHART_ONLY_ARGS);
      assertThat(Serialization.asYaml(fromChart))
          .as(backend)
          .isEqualTo(Serialization.asYaml(podSpec(kustomized)));
    }
  }

  /**
   * The Deployment's pod, its lists of named items in the order of their names: kustomize's
   * strategic merge puts an overlay's variable, mount or volume first, the chart last.
   */
  static PodSpec podSpec(List<HasMetadata> objects) {
    PodSpec pod = HelmChart.one(objects, Deployment.class).getSpec().getTemplate().getSpec();
    pod.getVolumes().sort(Comparator.comparing(Volume::getName));
    for (Container container : pod.getContainers()) {
      container.getEnv().sort(Comparator.comparing(EnvVar::getName));
      container.getVolumeMounts().sort(Comparator.comparing(VolumeMount::getName));
    }
    return pod;
  }
}
