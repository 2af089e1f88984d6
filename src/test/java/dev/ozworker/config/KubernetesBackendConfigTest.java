package dev.ozworker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code backend.kubernetes} block: the reference's keys, read and checked as it reads them.
 */
class KubernetesBackendConfigTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static WorkerConfig read(String yaml, Map<String, String> flags, Map<String, String> env)
      throws ConfigException {
    Map<String, String> worker = new HashMap<>(env);
    worker.putIfAbsent("WARP_API_KEY", "k");
    worker.putIfAbsent("POD_NAME", "w");
    worker.putIfAbsent("INHERIT_ME", "from-worker");
    return new WorkerConfigResolver(worker, Path.of("/"))
        .resolve(ConfigFile.parse(yaml, "worker.yaml", worker), Flags.of(flags));
  }

  static KubernetesBackendConfig kubernetes(String yaml) throws ConfigException {
    return (KubernetesBackendConfig) read(yaml, Map.of(), Map.of()).backend();
  }

  static JsonNode tree(String yaml) throws Exception {
    return YAML.readTree(yaml);
  }

  @Test
  void readsAReferenceBlockWithEveryKey() throws Exception {
    KubernetesBackendConfig block =
        kubernetes(
            """
            backend:
              kubernetes:
                namespace: oz-workers
                kubeconfig: /etc/oz/kubeconfig
                default_image: ghcr.io/acme/base:1
                image_pull_policy: Always
                use_image_volumes: true
                preflight_image: registry.local/busybox:1.36
                sidecar_image: ghcr.io/acme/agent:2
                coding_cli_sidecars: {claude: ghcr.io/acme/claude:3}
                setup_command: ./setup.sh
                teardown_command: ./teardown.sh
                extra_labels: {team: infra, example.com/tier: "", app.kubernetes.io/part-of: oz}
                extra_annotations: {example.com/owner: "Infra team <infra@example.com>"}
                active_deadline_seconds: 28800
                ttl_seconds_after_finished: 3600
                workspace_size_limit: 10Gi
                unschedulable_timeout: 2m
                pod_template:
                  serviceAccountName: oz-tasks
                  nodeSelector: {pool: agents}
                  containers:
                  - name: task
                    resources: {requests: {cpu: "1"}}
                preflight_resources:
                  requests: {cpu: 20m, memory: 32Mi}
                  limits: {cpu: 200m, memory: 128Mi, ephemeral-storage: 1Gi}
                environment: [{name: FOO, value: bar}, {name: INHERIT_ME}]
            """);

    assertThat(block.kind()).isEqualTo(BackendKind.KUBERNETES);
    assertThat(block.namespace()).contains("oz-workers");
    assertThat(block.kubeconfig()).contains("/etc/oz/kubeconfig");
    assertThat(block.defaultImage()).contains("ghcr.io/acme/base:1");
    assertThat(block.imagePullPolicy()).isEqualTo(ImagePullPolicy.Always);
    assertThat(block.useImageVolumes()).isTrue();
    assertThat(block.preflightImage()).isEqualTo("registry.local/busybox:1.36");
    assertThat(block.sidecarImage()).contains("ghcr.io/acme/agent:2");
    assertThat(block.codingCliSidecars())
        .containsExactly(Map.entry("claude", "ghcr.io/acme/claude:3"));
    assertThat(block.setupCommand()).contains("./setup.sh");
    assertThat(block.teardownCommand()).contains("./teardown.sh");
    assertThat(block.extraLabels())
        .containsOnly(
            Map.entry("team", "infra"),
            Map.entry("example.com/tier", ""),
            Map.entry("app.kubernetes.io/part-of", "oz"));
    assertThat(block.extraAnnotations())
        .containsExactly(Map.entry("example.com/owner", "Infra team <infra@example.com>"));
    assertThat(block.activeDeadlineSeconds()).contains(28800L);
    assertThat(block.ttlSecondsAfterFinished()).isEqualTo(3600);
    assertThat(block.workspaceSizeLimit()).contains("10Gi");
    assertThat(block.unschedulableTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(block.podTemplate())
        .contains(
            tree(
                """
                serviceAccountName: oz-tasks
                nodeSelector: {pool: agents}
                containers:
                - name: task
                  resources: {requests: {cpu: "1"}}
                """));
    assertThat(block.preflightResources())
        .isEqualTo(
            tree(
                "{requests: {cpu: 20m, memory: 32Mi},"
                    + " limits: {cpu: 200m, memory: 128Mi, ephemeral-storage: 1Gi}}"));
    assertThat(block.environment())
        .containsExactly(new EnvVar("FOO", "bar"), new EnvVar("INHERIT_ME", "from-worker"));
  }

  @Test
  void aBlockLeftEmptyHasTheDocumentedDefaults() throws Exception {
    KubernetesBackendConfig defaults = KubernetesBackendConfig.defaults();

    assertThat(kubernetes("backend:\n  kubernetes: {}\n")).isEqualTo(defaults);
    assertThat(defaults.namespace()).as("the worker's own").isEmpty();
    assertThat(defaults.kubeconfig()).as("in-cluster, else the default rules").isEmpty();
    assertThat(defaults.defaultImage()).isEmpty();
    assertThat(defaults.imagePullPolicy()).isEqualTo(ImagePullPolicy.IfNotPresent);
    assertThat(defaults.useImageVolumes()).isFalse();
    assertThat(defaults.preflightImage()).isEqualTo("busybox:1.36");
    assertThat(defaults.sidecarImage()).isEmpty();
    assertThat(defaults.codingCliSidecars()).isEmpty();
    assertThat(defaults.setupCommand()).isEmpty();
    assertThat(defaults.teardownCommand()).isEmpty();
    assertThat(defaults.extraLabels()).isEmpty();
    assertThat(defaults.extraAnnotations()).isEmpty();
    assertThat(defaults.activeDeadlineSeconds())
        .as("no deadline beyond the task timeout")
        .isEmpty();
    assertThat(defaults.ttlSecondsAfterFinished()).isEqualTo(86400);
    assertThat(defaults.workspaceSizeLimit()).isEmpty();
    assertThat(defaults.unschedulableTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.podTemplate()).isEmpty();
    assertThat(defaults.preflightResources())
        .isEqualTo(tree("{requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 64Mi}}"));
    assertThat(defaults.environment()).isEmpty();
  }

  @Test
  void anEmptyTextIsNoValueAsInTheReference() throws Exception {
    KubernetesBackendConfig block =
        kubernetes(
            """
            backend:
              kubernetes:
                namespace: ""
                kubeconfig: ""
                default_image: ""
                image_pull_policy: ""
                preflight_image: ""
                sidecar_image: ""
                setup_command: ""
                teardown_command: ""
                workspace_size_limit: ""
            """);

    assertThat(block).isEqualTo(KubernetesBackendConfig.defaults());
  }

  static Stream<Arguments> invalidBlocks() {
    return Stream.of(
        arguments(
            "namespace: Oz_Workers",
            List.of(
                "backend.kubernetes.namespace \"Oz_Workers\" is not a Kubernetes namespace name",
                "use at most 63 lower-case letters")),
        arguments(
            "extra_labels: {team name: infra}",
            List.of(
                "backend.kubernetes.extra_labels has the key \"team name\", which is not a"
                    + " Kubernetes label key",
                "e.g. example.com/team")),
        arguments(
            "extra_labels: {Example.com/team: infra}",
            List.of("extra_labels has the key \"Example.com/team\"", "lower-case DNS prefix")),
        arguments(
            "extra_labels: {team: -infra-}",
            List.of(
                "backend.kubernetes.extra_labels.team \"-infra-\" is not a Kubernetes label value",
                "starting and ending with a letter or digit")),
        arguments(
            "extra_annotations: {/owner: x}",
            List.of(
                "backend.kubernetes.extra_annotations has the key \"/owner\", which is not a"
                    + " Kubernetes annotation key")),
        arguments(
            "workspace_size_limit: 10 GB",
            List.of(
                "backend.kubernetes.workspace_size_limit \"10 GB\" is not a Kubernetes quantity",
                "e.g. 100m, 64Mi or 10Gi")),
        arguments(
            "workspace_size_limit: 10GB",
            List.of(
                "backend.kubernetes.workspace_size_limit \"10GB\" is not a Kubernetes quantity")),
        arguments(
            "workspace_size_limit: -1Gi",
            List.of(
                "backend.kubernetes.workspace_size_limit \"-1Gi\" is not a Kubernetes quantity")),
        arguments(
            "active_deadline_seconds: -60",
            List.of(
                "backend.kubernetes.active_deadline_seconds must be a whole number of 1 or more,"
                    + " got -60")),
        arguments(
            "active_deadline_seconds: 0",
            List.of("backend.kubernetes.active_deadline_seconds must be a whole number of 1")),
        arguments(
            "active_deadline_seconds: 8h",
            List.of("backend.kubernetes.active_deadline_seconds must be a whole number")),
        arguments(
            "ttl_seconds_after_finished: -1",
            List.of("backend.kubernetes.ttl_seconds_after_finished must be a whole number of 0")),
        arguments(
            "pod_template: [serviceAccountName]",
            List.of(
                "backend.kubernetes.pod_template must be a PodSpec written as a mapping",
                "e.g. {serviceAccountName: oz-tasks")),
        arguments(
            "pod_template: \"serviceAccountName: oz-tasks\"",
            List.of("backend.kubernetes.pod_template must be a PodSpec written as a mapping")),
        arguments(
            "pod_template: {apiVersion: v1, kind: Pod, spec: {serviceAccountName: oz-tasks}}",
            List.of(
                "backend.kubernetes.pod_template holds a whole Pod (apiVersion, kind, spec):"
                    + " write only what goes under the Pod's spec")),
        arguments(
            "preflight_resources: [10m]",
            List.of("backend.kubernetes.preflight_resources must be a mapping of requests and")),
        arguments(
            "preflight_resources: {request: {cpu: 10m}}",
            List.of(
                "unknown key 'backend.kubernetes.preflight_resources.request': did you mean"
                    + " 'requests'?")),
        arguments(
            "preflight_resources: {limits: {memory: lots}}",
            List.of(
                "backend.kubernetes.preflight_resources.limits.memory \"lots\" is not a Kubernetes"
                    + " quantity")),
        arguments(
            "preflight_resources: {requests: 10m}",
            List.of("backend.kubernetes.preflight_resources.requests must be a mapping")),
        arguments(
            "namespaces: oz",
            List.of(
                "unknown key 'backend.kubernetes.namespaces': did you mean 'namespace'?",
                "backend.kubernetes takes namespace, kubeconfig")),
        arguments(
            "image_pull_policy: always",
            List.of(
                "backend.kubernetes.image_pull_policy \"always\" is not a pull policy: use Always,"
                    + " IfNotPresent or Never")),
        arguments(
            "unschedulable_timeout: 30",
            List.of("backend.kubernetes.unschedulable_timeout \"30\" is not a duration")),
        arguments(
            "use_image_volumes: \"yes\"",
            List.of("backend.kubernetes.use_image_volumes must be true or false")),
        arguments(
            "default_image: \"my image\"",
            List.of("backend.kubernetes.default_image \"my image\" must be non-empty")),
        arguments(
            "coding_cli_sidecars: {claude: \"a b\"}",
            List.of("backend.kubernetes.coding_cli_sidecars.claude \"a b\"")),
        arguments(
            "environment: [{name: MY VAR}]",
            List.of("backend.kubernetes.environment[0].name \"MY VAR\" must not contain")));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidBlocks")
  void rejectsAnInvalidValueNamingTheKeyAndTheFix(String key, List<String> fragments) {
    assertThatThrownBy(() -> kubernetes("backend:\n  kubernetes:\n    " + key + "\n"))
        .isInstanceOf(ConfigException.class)
        .message()
        .contains(fragments);
  }

  @Test
  void reportsEveryBadEntryOfAMapAtOnce() {
    assertThatThrownBy(
            () ->
                kubernetes(
                    "backend:\n  kubernetes:\n    extra_labels: {a b: x, ok: fine, c: \"d e\"}\n"))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(2)
                    .anySatisfy(problem -> assertThat(problem).contains("the key \"a b\""))
                    .anySatisfy(problem -> assertThat(problem).contains("extra_labels.c \"d e\"")));
  }

  @Test
  void theNamespaceMustBeTheOneTheWorkerWatchesWhenThatIsKnown() throws ConfigException {
    String pods = "backend:\n  kubernetes: {namespace: tasks}\n";

    assertThatThrownBy(() -> read("namespace: oz-workers\n" + pods, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "backend.kubernetes.namespace \"tasks\" is not the namespace the worker watches"
                + " (\"oz-workers\")")
        .hasMessageContaining("an owner must be in the same namespace")
        .hasMessageContaining("drop backend.kubernetes.namespace or set it to oz-workers");
    assertThatThrownBy(() -> read(pods, Map.of(), Map.of("POD_NAMESPACE", "oz-workers")))
        .hasMessageContaining("is not the namespace the worker watches (\"oz-workers\")");

    assertThat(read(pods, Map.of(), Map.of("POD_NAMESPACE", "tasks")).namespace())
        .contains("tasks");
    assertThat(read(pods, Map.of(), Map.of()).namespace())
        .as("unknown until the worker meets its cluster; the backend checks it then")
        .isEmpty();
  }

  @Test
  void namespaceProblemSaysNothingWithoutANamespaceOrWithTheWorkersOwn() {
    assertThat(KubernetesBackendConfig.defaults().namespaceProblem("oz-workers")).isEmpty();
    assertThat(ConfigFixtures.kubernetes(Map.of("namespace", "oz")).namespaceProblem("oz"))
        .isEmpty();
    assertThat(ConfigFixtures.kubernetes(Map.of("namespace", "oz")).namespaceProblem("other"))
        .hasValueSatisfying(problem -> assertThat(problem).contains("set it to other"));
  }

  @Test
  void theBackendFlagChoosesItAndEnvFlagsAddToItsEnvironment() throws ConfigException {
    WorkerConfig config =
        read(
            "backend:\n  kubernetes: {environment: [{name: A, value: file}]}\n",
            Map.of("--env", "A=flag"),
            Map.of());
    assertThat(config.backend().environment()).containsExactly(new EnvVar("A", "flag"));

    assertThat(read("", Map.of("--backend", "kubernetes"), Map.of()).backend())
        .isEqualTo(KubernetesBackendConfig.defaults());
  }

  @Test
  void flagsOfOtherBackendsAreRefused() {
    assertThatThrownBy(
            () ->
                read(
                    "",
                    Map.of(
                        "--backend", "kubernetes", "--target-dir", "/repo", "--volumes", "/a:/b"),
                    Map.of()))
        .hasMessageContaining("--target-dir applies to the direct backend only")
        .hasMessageContaining("--volumes applies to the docker backend only");
    assertThatThrownBy(
            () -> read("backend:\n  kubernetes: {}\n", Map.of("--backend", "docker"), Map.of()))
        .hasMessageContaining(
            "--backend docker conflicts with the backend.kubernetes block of the config file");
  }

  @Test
  void itsStructuresAreCopiesThatTheBackendCannotChangeForOthers() throws Exception {
    KubernetesBackendConfig block =
        kubernetes("backend:\n  kubernetes:\n    pod_template: {serviceAccountName: oz-tasks}\n");

    ((ObjectNode) block.podTemplate().orElseThrow()).put("serviceAccountName", "changed");
    ((ObjectNode) block.preflightResources()).removeAll();

    assertThat(block.podTemplate().orElseThrow().get("serviceAccountName").asText())
        .isEqualTo("oz-tasks");
    assertThat(block.preflightResources())
        .isEqualTo(KubernetesBackendConfig.defaults().preflightResources());
  }

  @Test
  void checkConfigShowsTheBlockWithItsDefaultsAndWhatAbsentKeysMean() throws ConfigException {
    String shown =
        EffectiveConfig.toYaml(
            read(
                """
                backend:
                  kubernetes:
                    unschedulable_timeout: 0s
                    pod_template: {serviceAccountName: oz-tasks}
                """,
                Map.of(),
                Map.of()));

    assertThat(shown)
        .contains(
            """
            backend:
              kubernetes:
                namespace: (the worker's own)
                kubeconfig: "(in-cluster, else KUBECONFIG or ~/.kube/config)"
                default_image: (ubuntu:22.04)
                image_pull_policy: IfNotPresent
                use_image_volumes: false
                preflight_image: busybox:1.36
                sidecar_image: (the assignment's)
                coding_cli_sidecars: {}
                setup_command: (none)
                teardown_command: (none)
                extra_labels: {}
                extra_annotations: {}
                active_deadline_seconds: (no deadline beyond the task timeout)
                ttl_seconds_after_finished: 86400
                workspace_size_limit: (no limit)
                unschedulable_timeout: 0s (never fail for being unschedulable)
                pod_template:
                  serviceAccountName: oz-tasks
                preflight_resources:
                  requests:
                    cpu: 10m
                    memory: 16Mi
                  limits:
                    cpu: 100m
                    memory: 64Mi
                environment: []
            """);
  }
}
