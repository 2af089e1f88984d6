package dev.ozworker.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.DirectBackendConfig;
import dev.ozworker.config.GoDuration;
import dev.ozworker.config.WorkerConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The manifests agree with the code: the CRD is the generated one, the ConfigMaps pass the worker's
 * strict config parser, the Deployment mounts what the config names and gives the worker the grace
 * period it drains within, and the Role grants exactly the verbs the code uses.
 */
class ManifestsTest {
  static final Map<String, String> ENV = Map.of("WARP_API_KEY", "k");
  static final String POD_NAME = "oz-worker-7d9c8b6f5-x2x7q";

  @Test
  void theBaseCarriesTheGeneratedCrdUnchanged() throws IOException, ConfigException {
    Path generated = Path.of("crds", "agenttasks.ozworker.dev-v1.yml");
    Path copy = Manifests.BASE.resolve(generated.getFileName());

    assertThat(Files.mismatch(generated, copy))
        .as("manifests/base holds a copy of %s: cp %s %s", generated, generated, copy)
        .isEqualTo(-1L);
  }

  @Test
  void theConfigMapsArePassedByTheWorkersParserWithThePodNameAsWorkerId()
      throws IOException, ConfigException {
    WorkerConfig base = resolve(Manifests.workerConfig(Manifests.BASE.resolve("config.yaml")));
    WorkerConfig direct =
        resolve(Manifests.workerConfig(Manifests.DIRECT.resolve("direct-backend.yaml")));

    assertThat(base.workerId()).isEqualTo(POD_NAME);
    assertThat(base.maxConcurrentTasks()).isEqualTo(2);
    assertThat(direct.backend().kind()).isEqualTo(BackendKind.DIRECT);
    assertThat(((DirectBackendConfig) direct.backend()).ozPath()).contains("/agent/entrypoint.sh");
  }

  @Test
  void theDeploymentRunsTheWorkerAsTheContractsSay() throws IOException, ConfigException {
    Deployment deployment =
        Manifests.one(Manifests.BASE.resolve("deployment.yaml"), Deployment.class);
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container worker = pod.getContainers().getFirst();

    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(pod.getServiceAccountName()).isEqualTo(Manifests.SERVICE_ACCOUNT);
    assertThat(worker.getArgs())
        .startsWith("run")
        .contains("--config-file=/etc/oz-worker/config.yaml");
    assertThat(mountPath(worker, "config")).isEqualTo("/etc/oz-worker");
    Map<String, String> fields =
        worker.getEnv().stream()
            .filter(env -> env.getValueFrom() != null && env.getValueFrom().getFieldRef() != null)
            .collect(
                Collectors.toMap(
                    EnvVar::getName, env -> env.getValueFrom().getFieldRef().getFieldPath()));
    assertThat(fields)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "POD_NAME", "metadata.name",
                "POD_NAMESPACE", "metadata.namespace",
                "NODE_NAME", "spec.nodeName"));
    EnvVar apiKey =
        worker.getEnv().stream().filter(e -> e.getName().equals("WARP_API_KEY")).findFirst().get();
    Secret template =
        Manifests.one(Manifests.BASE.resolve("api-key-secret.example.yaml"), Secret.class);
    assertThat(apiKey.getValueFrom().getSecretKeyRef().getName())
        .isEqualTo(template.getMetadata().getName());
    assertThat(template.getStringData())
        .containsKey(apiKey.getValueFrom().getSecretKeyRef().getKey());
  }

  @Test
  void terminationGraceMatchesTheShutdownGracePeriodTheWorkerIsGiven()
      throws IOException, ConfigException {
    Deployment deployment =
        Manifests.one(Manifests.BASE.resolve("deployment.yaml"), Deployment.class);
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    String grace =
        pod.getContainers().getFirst().getArgs().stream()
            .filter(arg -> arg.startsWith("--shutdown-grace-period="))
            .findFirst()
            .orElseThrow()
            .substring("--shutdown-grace-period=".length());

    assertThat(GoDuration.parse(grace).orElseThrow().toSeconds())
        .isEqualTo(pod.getTerminationGracePeriodSeconds());
  }

  @Test
  void theWorkerIsNonRootOnAReadOnlyRootWithWritableTmpAndTaskLogs()
      throws IOException, ConfigException {
    PodSpec pod =
        Manifests.one(Manifests.BASE.resolve("deployment.yaml"), Deployment.class)
            .getSpec()
            .getTemplate()
            .getSpec();
    Container worker = pod.getContainers().getFirst();
    WorkerConfig config = resolve(Manifests.workerConfig(Manifests.BASE.resolve("config.yaml")));

    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
    assertThat(worker.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(worker.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(worker.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(emptyDirMountedAt(pod, worker, "/tmp")).isTrue();
    assertThat(emptyDirMountedAt(pod, worker, config.taskLogDir().toString())).isTrue();
    assertThat(worker.getResources().getLimits()).containsKeys("cpu", "memory");
    assertThat(worker.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(worker.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(worker.getPorts().getFirst().getContainerPort()).isEqualTo(9090);
    assertThat(worker.getPorts().getFirst().getName())
        .isEqualTo(worker.getLivenessProbe().getHttpGet().getPort().getStrVal());
  }

  @Test
  void theRoleGrantsTheVerbsTheCodeUsesInTheWorkersNamespaceOnly()
      throws IOException, ConfigException {
    Path rbac = Manifests.BASE.resolve("rbac.yaml");
    Role role = Manifests.one(rbac, Role.class);
    RoleBinding binding = Manifests.one(rbac, RoleBinding.class);
    Map<String, List<String>> grants = new TreeMap<>();
    for (PolicyRule rule : role.getRules()) {
      for (String resource : rule.getResources()) {
        grants.put(rule.getApiGroups().getFirst() + "/" + resource, rule.getVerbs());
      }
    }

    assertThat(grants)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "ozworker.dev/agenttasks",
                    List.of("get", "list", "watch", "create", "update", "patch", "delete"),
                "ozworker.dev/agenttasks/status", List.of("update"),
                "/secrets", List.of("get", "create", "patch", "delete"),
                "/pods", List.of("get"),
                "/events", List.of("create")));
    assertThat(role.getMetadata().getNamespace()).isEqualTo(Manifests.NAMESPACE);
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            subject -> {
              assertThat(subject.getKind()).isEqualTo("ServiceAccount");
              assertThat(subject.getName()).isEqualTo(Manifests.SERVICE_ACCOUNT);
            });
    assertThat(Manifests.read(rbac))
        .extracting(object -> object.getKind())
        .doesNotContain("ClusterRole", "ClusterRoleBinding");
  }

  @Test
  void theDockerOverlayMountsTheNodesSocket() throws IOException, ConfigException {
    PodSpec pod =
        Manifests.one(Manifests.DOCKER.resolve("docker-socket.yaml"), Deployment.class)
            .getSpec()
            .getTemplate()
            .getSpec();
    Volume socket = pod.getVolumes().getFirst();

    assertThat(socket.getHostPath().getPath()).isEqualTo("/var/run/docker.sock");
    assertThat(socket.getHostPath().getType()).isEqualTo("Socket");
    assertThat(mountPath(pod.getContainers().getFirst(), socket.getName()))
        .isEqualTo("/var/run/docker.sock");
    assertThat(pod.getSecurityContext().getSupplementalGroups()).hasSize(1);
    assertThat(Files.readString(Manifests.DOCKER.resolve("kustomization.yaml")))
        .contains("value: --backend=docker");
  }

  @Test
  void theDirectOverlayCopiesTheCliIntoTheVolumeTheConfigRunsItFrom()
      throws IOException, ConfigException {
    Path patch = Manifests.DIRECT.resolve("direct-backend.yaml");
    PodSpec pod = Manifests.one(patch, Deployment.class).getSpec().getTemplate().getSpec();
    Container copier = pod.getInitContainers().getFirst();
    Container worker = pod.getContainers().getFirst();
    WorkerConfig config = resolve(Manifests.workerConfig(patch));
    String volume = copier.getVolumeMounts().getFirst().getName();

    assertThat(direct(config).ozPath().orElseThrow()).startsWith(mountPath(worker, volume) + "/");
    assertThat(String.join(" ", copier.getCommand()))
        .contains("-C /" + " ")
        .contains(copier.getVolumeMounts().getFirst().getMountPath());
    assertThat(copier.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(copier.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(mountPath(worker, "workspaces"))
        .isEqualTo(direct(config).workspaceRoot().toString());
    assertThat(Files.readString(Manifests.DIRECT.resolve("kustomization.yaml")))
        .contains("value: --backend=direct");
  }

  static WorkerConfig resolve(String yaml) throws ConfigException {
    return WorkerConfigs.resolve(yaml, ENV, "--worker-id", POD_NAME);
  }

  static DirectBackendConfig direct(WorkerConfig config) {
    return (DirectBackendConfig) config.backend();
  }

  static String mountPath(Container container, String volume) {
    return container.getVolumeMounts().stream()
        .filter(mount -> mount.getName().equals(volume))
        .map(VolumeMount::getMountPath)
        .findFirst()
        .orElse(null);
  }

  static boolean emptyDirMountedAt(PodSpec pod, Container container, String path) {
    return container.getVolumeMounts().stream()
        .filter(mount -> mount.getMountPath().equals(path))
        .anyMatch(
            mount ->
                pod.getVolumes().stream()
                    .anyMatch(v -> v.getName().equals(mount.getName()) && v.getEmptyDir() != null));
  }
}
