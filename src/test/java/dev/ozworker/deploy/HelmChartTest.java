package dev.ozworker.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.WorkerConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart rendered by Helm's engine, without a cluster: it lints clean, carries the generated
 * CRD, refuses a wrong value naming it, and renders for each backend a config file the worker's
 * strict parser takes together with the flags of the rendered Deployment.
 */
class HelmChartTest {
  static final String NAMESPACE = "oz-worker-system";
  static final String POD_NAME = "oz-worker-7d9c8b6f5-x2x7q";

  @TempDir Path dir;

  @Test
  void theChartLintsCleanInStrictMode() {
    LintResult lint = new Helm(HelmChart.DIR).lint().strict().call();

    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  @Test
  void theChartCarriesTheGeneratedCrdUnchanged() throws IOException {
    Path generated = Path.of("crds", "agenttasks.ozworker.dev-v1.yml");
    Path copy = HelmChart.DIR.resolve(generated);

    assertThat(Files.mismatch(generated, copy))
        .as("the chart's crds/ holds a copy of %s: cp %s %s", generated, generated, copy)
        .isEqualTo(-1L);
  }

  @Test
  void aBackendTypeOutsideTheThreeFailsNamingTheValue() {
    assertThatThrownBy(() -> HelmChart.template(NAMESPACE, dir, "backend: {type: podman}\n"))
        .hasMessageContaining("backend.type")
        .hasMessageContaining("kubernetes", "docker", "direct");
  }

  @Test
  void replicasThatAreNoCountFailNamingTheValue() {
    assertThatThrownBy(() -> HelmChart.template(NAMESPACE, dir, "replicas: -1\n"))
        .hasMessageContaining("replicas");
    assertThatThrownBy(() -> HelmChart.template(NAMESPACE, dir, "replicas: two\n"))
        .hasMessageContaining("replicas");
  }

  @Test
  void aMisspelledValueFailsNamingIt() {
    assertThatThrownBy(() -> HelmChart.template(NAMESPACE, dir, "worker: {maxConcurentTasks: 3}\n"))
        .hasMessageContaining("maxConcurentTasks");
  }

  @Test
  void eachBackendsConfigFileIsPassedByTheWorkersParserWithTheDeploymentsFlags()
      throws IOException, ConfigException {
    for (String backend : HelmChart.BACKENDS) {
      List<HasMetadata> objects =
          HelmChart.objects(
              HelmChart.template(
                  NAMESPACE,
                  dir,
                  """
                  backend: {type: %s}
                  worker: {logLevel: debug, idleOnComplete: 30m, maxConcurrentTasks: 3}
                  warp: {webSocketURL: "wss://oz.example/ws", serverRootURL: "https://oz.example"}
                  """
                      .formatted(backend)));
      Container worker = workerContainer(objects);

      WorkerConfig config = resolve(objects);

      assertThat(config.backend().kind().configName()).as(backend).isEqualTo(backend);
      assertThat(config.workerId()).isEqualTo(POD_NAME);
      assertThat(config.maxConcurrentTasks()).isEqualTo(3);
      assertThat(config.idleOnComplete().orElseThrow().text()).isEqualTo("30m");
      assertThat(config.apiKeySecret())
          .isEqualTo(worker.getEnv().getFirst().getValueFrom().getSecretKeyRef().getName());
      assertThat(worker.getArgs())
          .contains(
              "--log-level=debug",
              "--web-socket-url=wss://oz.example/ws",
              "--server-root-url=https://oz.example");
    }
  }

  @Test
  void aNullRemovesADefaultKeyOfTheBackendsBlock() throws IOException, ConfigException {
    List<HasMetadata> objects =
        HelmChart.objects(
            HelmChart.template(
                NAMESPACE,
                dir,
                """
                backend:
                  type: direct
                  direct: {config: {run_as_uid: null, run_as_gid: null, teardown_timeout: 30s}}
                """));

    assertThat(configFile(objects))
        .doesNotContain("run_as_uid", "run_as_gid")
        .contains("teardown_timeout: 30s", "oz_path: /agent/entrypoint.sh");
    assertThat(resolve(objects).backend().kind().configName()).isEqualTo("direct");
  }

  @Test
  void theWorkersDrainEndsWithinThePodsGracePeriod() throws IOException, ConfigException {
    List<HasMetadata> objects =
        HelmChart.objects(
            HelmChart.template(NAMESPACE, dir, "worker: {terminationGracePeriodSeconds: 95}\n"));
    PodSpec pod = HelmChart.one(objects, Deployment.class).getSpec().getTemplate().getSpec();

    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(95L);
    assertThat(resolve(objects).shutdownGracePeriod()).isEqualTo(Duration.ofSeconds(95));
  }

  @Test
  void aCreatedApiKeySecretHoldsTheKeyTheWorkerReadsAndIsNamedInItsConfig() throws IOException {
    List<HasMetadata> objects =
        HelmChart.objects(
            HelmChart.template(
                NAMESPACE,
                dir,
                "warp: {apiKeySecret: {create: true, name: oz-key, key: token, value: wk-1}}\n"));
    Secret secret = HelmChart.one(objects, Secret.class);
    var ref = workerContainer(objects).getEnv().getFirst().getValueFrom().getSecretKeyRef();

    assertThat(secret.getMetadata().getName()).isEqualTo("oz-key").isEqualTo(ref.getName());
    assertThat(new String(Base64.getDecoder().decode(secret.getData().get("token"))))
        .isEqualTo("wk-1");
    assertThat(ref.getKey()).isEqualTo("token");
    assertThat(configFile(objects)).contains("api_key_secret: oz-key");
    assertThatThrownBy(
            () -> HelmChart.template(NAMESPACE, dir, "warp: {apiKeySecret: {create: true}}\n"))
        .hasMessageContaining("warp.apiKeySecret.value");
  }

  @Test
  void monitorsAndTheDisruptionBudgetAreOffUntilAskedFor() throws IOException {
    List<HasMetadata> plain = HelmChart.objects(HelmChart.template(NAMESPACE, dir, "{}\n"));
    List<HasMetadata> all =
        HelmChart.objects(
            HelmChart.template(
                NAMESPACE,
                dir,
                """
                metrics: {serviceMonitor: {enabled: true}, podMonitor: {enabled: true}}
                podDisruptionBudget: {enabled: true, minAvailable: 1}
                """));

    assertThat(kinds(plain))
        .containsExactlyInAnyOrder(
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "Role",
            "RoleBinding",
            "ConfigMap",
            "Service",
            "Deployment");
    assertThat(kinds(all)).contains("ServiceMonitor", "PodMonitor", "PodDisruptionBudget");
    // policy/v1, or v1beta1 where the server (here Helm's default capabilities) lacks v1
    assertThat(
            all.stream()
                .filter(object -> object.getKind().equals("PodDisruptionBudget"))
                .map(Serialization::asYaml))
        .singleElement()
        .asString()
        .contains("minAvailable: 1");
    assertThat(
            HelmChart.all(all, GenericKubernetesResource.class).stream()
                .map(monitor -> monitor.getAdditionalProperties().get("spec").toString()))
        .allSatisfy(spec -> assertThat(spec).contains("port=http", "path=/metrics"));
  }

  @Test
  void withAFreePortTheWorkerHasNoProbesServiceOrMonitors() throws IOException {
    List<HasMetadata> objects =
        HelmChart.objects(
            HelmChart.template(
                NAMESPACE, dir, "metrics: {port: 0, serviceMonitor: {enabled: true}}\n"));
    Container worker = workerContainer(objects);

    assertThat(worker.getArgs()).contains("--http-port=0");
    assertThat(worker.getPorts()).isEmpty();
    assertThat(worker.getLivenessProbe()).isNull();
    assertThat(worker.getReadinessProbe()).isNull();
    assertThat(worker.getStartupProbe()).isNull();
    assertThat(kinds(objects)).doesNotContain("Service", "ServiceMonitor");
  }

  static List<String> kinds(List<HasMetadata> objects) {
    return objects.stream().map(HasMetadata::getKind).toList();
  }

  static Container workerContainer(List<HasMetadata> objects) {
    return HelmChart.one(objects, Deployment.class)
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .getFirst();
  }

  static String configFile(List<HasMetadata> objects) {
    return HelmChart.one(objects, ConfigMap.class).getData().get("config.yaml");
  }

  /**
   * The rendered config file resolved with the rendered Deployment's flags (but {@code run} and
   * {@code --config-file}, which name the command and the file) and the pod name as worker id.
   */
  static WorkerConfig resolve(List<HasMetadata> objects) throws ConfigException {
    List<String> args = new ArrayList<>(List.of("--worker-id", POD_NAME));
    workerContainer(objects).getArgs().stream()
        .filter(arg -> !arg.equals("run") && !arg.startsWith("--config-file="))
        .forEach(args::add);
    return WorkerConfigs.resolve(
        configFile(objects), Map.of("WARP_API_KEY", "k"), args.toArray(String[]::new));
  }
}
