package dev.ozworker.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.DirectBackendConfig;
import dev.ozworker.config.GoDuration;
import dev.ozworker.config.ImagePullPolicy;
import dev.ozworker.config.KubernetesBackendConfig;
import dev.ozworker.config.WorkerConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The manifests agree with the code: the CRD is the generated one, the ConfigMaps pass the worker's
 * strict config parser with the backend each overlay names, the Deployment mounts what the config
 * names and gives the worker the grace period it drains within, and the Roles grant exactly the
 * verbs the code uses, the Kubernetes overlay's adding those of the task Pods.
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
  void everyOverlaysConfigMapIsPassedTogetherWithTheBackendFlagItsDeploymentGets()
      throws IOException, ConfigException {
    try (Stream<Path> dirs = Files.list(Manifests.ROOT.resolve("overlays"))) {
      assertThat(dirs.sorted().toList())
          .as("every overlay is in Manifests.OVERLAYS, so that these tests cover it")
          .containsExactlyInAnyOrderElementsOf(Manifests.OVERLAYS);
    }
    for (Path overlay : Manifests.OVERLAYS) {
      String backend = Manifests.backendFlag(overlay);
      WorkerConfig config =
          resolve(Manifests.workerConfig(Manifests.configMapFile(overlay)), "--backend=" + backend);

      assertThat(config.backend().kind().configName()).as(overlay.toString()).isEqualTo(backend);
      assertThat(config.workerId()).isEqualTo(POD_NAME);
    }
  }

  @Test
  void theKubernetesOverlaysTaskPodsHaveADeadlineAndTimeToScheduleAndNoSetupOrTemplate()
      throws IOException, ConfigException {
    WorkerConfig config =
        resolve(
            Manifests.workerConfig(Manifests.KUBERNETES.resolve("kubernetes-backend.yaml")),
            "--backend=kubernetes");
    KubernetesBackendConfig pods = (KubernetesBackendConfig) config.backend();

    assertThat(pods.namespace()).as("the pod's own namespace").isEmpty();
    assertThat(pods.kubeconfig()).as("in-cluster").isEmpty();
    assertThat(pods.imagePullPolicy()).isEqualTo(ImagePullPolicy.IfNotPresent);
    assertThat(pods.activeDeadlineSeconds()).contains(28800L);
    assertThat(pods.unschedulableTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(pods.setupCommand()).isEmpty();
    assertThat(pods.teardownCommand()).isEmpty();
    assertThat(pods.podTemplate()).isEmpty();
  }

  @Test
  void theKubernetesOverlaysCommentedPodTemplateIsAPodSpecRunningTheAgentAsNonRoot()
      throws IOException, ConfigException {
    String commented =
        Manifests.workerConfig(Manifests.KUBERNETES.resolve("kubernetes-backend.yaml"));
    String uncommented =
        commented
            .lines()
            .map(line -> line.replaceFirst("^(\\s*)# {3}", "$1"))
            .collect(Collectors.joining("\n"));
    KubernetesBackendConfig pods =
        (KubernetesBackendConfig) resolve(uncommented, "--backend=kubernetes").backend();
    PodSpec template =
        new KubernetesSerialization().convertValue(pods.podTemplate().orElseThrow(), PodSpec.class);
    Container task = template.getContainers().getFirst();

    assertThat(template.getNodeSelector()).isNotEmpty();
    assertThat(task.getName()).isEqualTo("task");
    assertThat(task.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(task.getSecurityContext().getRunAsUser()).isPositive();
    assertThat(task.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(task.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
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

    assertThat(grants(List.of(role))).containsExactlyInAnyOrderEntriesOf(BASE_GRANTS);
    assertThat(role.getMetadata().getNamespace()).isEqualTo(Manifests.NAMESPACE);
    assertBindsTheWorkersServiceAccount(binding, role);
    assertThat(Manifests.read(rbac))
        .extracting(object -> object.getKind())
        .doesNotContain("ClusterRole", "ClusterRoleBinding");
  }

  @Test
  void theKubernetesOverlayGrantsWhatTheBackendUsesOnPodsAndNothingClusterWide()
      throws IOException, ConfigException {
    Path rbac = Manifests.KUBERNETES.resolve("rbac.yaml");
    Role role = Manifests.one(rbac, Role.class);
    Map<String, Set<String>> expected = new TreeMap<>(BASE_GRANTS);
    expected.put("/pods", Set.of("get", "create", "list", "watch", "delete"));
    expected.put("/pods/log", Set.of("get"));
    expected.put("/events", Set.of("create", "patch", "list", "watch"));
    expected.put("ozworker.dev/agenttasks/finalizers", Set.of("update"));

    assertThat(
            grants(List.of(Manifests.one(Manifests.BASE.resolve("rbac.yaml"), Role.class), role)))
        .containsExactlyInAnyOrderEntriesOf(expected);
    assertThat(role.getMetadata().getNamespace()).isEqualTo(Manifests.NAMESPACE);
    assertBindsTheWorkersServiceAccount(Manifests.one(rbac, RoleBinding.class), role);
    List<String> kinds = new ArrayList<>();
    for (Path file : Manifests.objectFiles(Manifests.KUBERNETES)) {
      Manifests.read(file).forEach(object -> kinds.add(object.getKind()));
    }
    assertThat(kinds)
        .as("namespaced objects only, and no patch of the worker's pod (no hostPath, no socket)")
        .containsExactlyInAnyOrder("ConfigMap", "Namespace", "Role", "RoleBinding");
  }

  @Test
  void theKubernetesOverlayEnforcesBaselinePodSecurityInTheWorkersNamespace()
      throws IOException, ConfigException {
    Namespace namespace =
        Manifests.one(Manifests.KUBERNETES.resolve("namespace.yaml"), Namespace.class);

    assertThat(namespace.getMetadata().getName()).isEqualTo(Manifests.NAMESPACE);
    assertThat(namespace.getMetadata().getLabels())
        .containsExactlyEntriesOf(Map.of("pod-security.kubernetes.io/enforce", "baseline"));
  }

  @Test
  void everyFileOfAnOverlayIsNamedInItsKustomization() throws IOException {
    for (Path overlay : Manifests.OVERLAYS) {
      String kustomization = Files.readString(overlay.resolve("kustomization.yaml"));
      for (Path file : Manifests.objectFiles(overlay)) {
        assertThat(kustomization)
            .as("%s names %s", overlay, file.getFileName())
            .containsPattern(
                "(?m)^\\s*- (path: )?" + Pattern.quote(file.getFileName().toString()) + "$");
      }
    }
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

  /** What the base Role grants: API group and resource to verbs. */
  static final Map<String, Set<String>> BASE_GRANTS =
      Map.of(
          "ozworker.dev/agenttasks",
          Set.of("get", "list", "watch", "create", "update", "patch", "delete"),
          "ozworker.dev/agenttasks/status",
          Set.of("update", "patch"),
          "/secrets",
          Set.of("get", "create", "patch"),
          "/pods",
          Set.of("get"),
          "/events",
          Set.of("create", "patch"));

  static WorkerConfig resolve(String yaml, String... flags) throws ConfigException {
    List<String> args = new ArrayList<>(List.of("--worker-id", POD_NAME));
    args.addAll(List.of(flags));
    return WorkerConfigs.resolve(yaml, ENV, args.toArray(String[]::new));
  }

  /** What the roles grant together: API group and resource to verbs. */
  static Map<String, Set<String>> grants(List<Role> roles) {
    Map<String, Set<String>> grants = new TreeMap<>();
    for (Role role : roles) {
      for (PolicyRule rule : role.getRules()) {
        for (String resource : rule.getResources()) {
          grants
              .computeIfAbsent(
                  rule.getApiGroups().getFirst() + "/" + resource, key -> new TreeSet<>())
              .addAll(rule.getVerbs());
        }
      }
    }
    return grants;
  }

  static void assertBindsTheWorkersServiceAccount(RoleBinding binding, Role role) {
    assertThat(binding.getMetadata().getNamespace()).isEqualTo(Manifests.NAMESPACE);
    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            subject -> {
              assertThat(subject.getKind()).isEqualTo("ServiceAccount");
              assertThat(subject.getName()).isEqualTo(Manifests.SERVICE_ACCOUNT);
              assertThat(subject.getNamespace()).isEqualTo(Manifests.NAMESPACE);
            });
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
