package dev.ozworker.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code backend.kubernetes} block; each component declares its key ({@link Key}). The keys are
 * the reference worker's, read as it reads them: an empty text is no value. A PodSpec and resource
 * requirements are kept as the file writes them ({@link JsonNode}), because configuration does not
 * depend on a Kubernetes client; the backend turns them into its model, and the checks here catch
 * what can be caught without one.
 */
public record KubernetesBackendConfig(
    @Key(
            value = "namespace",
            check = Check.NAMESPACE,
            blank = Key.Blank.ABSENT,
            none = "the worker's own",
            help =
                "where task Pods are created; a Pod is owned by its AgentTask, so this must be the"
                    + " namespace the worker watches (`namespace`)")
        Optional<String> namespace,
    @Key(
            value = "kubeconfig",
            blank = Key.Blank.ABSENT,
            none = "in-cluster, else KUBECONFIG or ~/.kube/config",
            help =
                "kubeconfig file the backend reaches the API server with; it must reach the"
                    + " cluster of the worker's AgentTasks")
        Optional<String> kubeconfig,
    @Key(
            value = "default_image",
            check = Check.TOKEN,
            blank = Key.Blank.ABSENT,
            none = "ubuntu:22.04",
            help = "image of tasks whose assignment names none")
        Optional<String> defaultImage,
    @Key(
            value = "image_pull_policy",
            byDefault = "IfNotPresent",
            blank = Key.Blank.ABSENT,
            help =
                "`imagePullPolicy` of the task Pod's containers: `Always`, `IfNotPresent` or"
                    + " `Never`")
        ImagePullPolicy imagePullPolicy,
    @Key(
            value = "use_image_volumes",
            byDefault = "false",
            help =
                "mount sidecar images as image volumes (Kubernetes 1.31 or later, read-only)"
                    + " instead of copying them into an `emptyDir` with an init container")
        boolean useImageVolumes,
    @Key(
            value = "preflight_image",
            byDefault = "busybox:1.36",
            check = Check.TOKEN,
            blank = Key.Blank.ABSENT,
            help =
                "image of the task Pod the worker creates with a server-side dry run at start, to"
                    + " check that it may create task Pods there (nothing is pulled or run)")
        String preflightImage,
    @Key(
            value = "sidecar_image",
            check = Check.TOKEN,
            blank = Key.Blank.ABSENT,
            none = "the assignment's",
            help = "replaces the `/agent` sidecar image Oz sends, if Oz sends one")
        Optional<String> sidecarImage,
    @Key(
            value = "coding_cli_sidecars",
            check = Check.TOKEN,
            help = "harness name to the image mounted at `/mnt/<harness>-cli-sidecar`")
        Map<String, String> codingCliSidecars,
    @Key(
            value = "setup_command",
            blank = Key.Blank.ABSENT,
            help =
                "shell command an init container of the task image runs in `/workspace` before"
                    + " the agent; `KEY=VALUE` lines it writes to `/workspace/.oz-env` join the"
                    + " agent's environment")
        Optional<String> setupCommand,
    @Key(
            value = "teardown_command",
            blank = Key.Blank.ABSENT,
            help = "shell command run in the task's Pod after the agent, whatever happened to it")
        Optional<String> teardownCommand,
    @Key(value = "extra_labels", check = Check.LABELS, help = "labels added to every task Pod")
        Map<String, String> extraLabels,
    @Key(
            value = "extra_annotations",
            check = Check.ANNOTATIONS,
            help = "annotations added to every task Pod")
        Map<String, String> extraAnnotations,
    @Key(
            value = "active_deadline_seconds",
            check = Check.POSITIVE,
            none = "no deadline beyond the task timeout",
            help =
                "the task Pod's `activeDeadlineSeconds`: Kubernetes stops it after this many"
                    + " seconds and the task fails with `active_deadline`")
        Optional<Long> activeDeadlineSeconds,
    @Key(
            value = "ttl_seconds_after_finished",
            byDefault = "86400",
            help =
                "accepted for compatibility and unused: a task Pod is owned by its AgentTask; a"
                    + " succeeded task's Pod is removed after the task (with `cleanup`), any other"
                    + " goes with its AgentTask after `finished_task_ttl`")
        int ttlSecondsAfterFinished,
    @Key(
            value = "workspace_size_limit",
            check = Check.QUANTITY,
            blank = Key.Blank.ABSENT,
            none = "no limit",
            help = "size limit of the task's `/workspace` `emptyDir`, a quantity such as `10Gi`")
        Optional<String> workspaceSizeLimit,
    @Key(
            value = "unschedulable_timeout",
            byDefault = "30s",
            zero = "never fail for being unschedulable",
            help = "a task whose Pod stays unschedulable this long fails with `unschedulable`")
        Duration unschedulableTimeout,
    @Key(
            value = "pod_template",
            check = Check.POD_SPEC,
            none = "the worker's Pod spec alone",
            help =
                "a PodSpec merged into every task Pod (service account, node selector,"
                    + " tolerations, resources, ...); its container named `task` is the agent's")
        Optional<JsonNode> podTemplate,
    @Key(
            value = "preflight_resources",
            byDefault = "{requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 64Mi}}",
            check = Check.RESOURCES,
            help =
                "accepted for compatibility and unused: the start-up check is a dry run that runs"
                    + " nothing; `requests` and `limits` are still checked")
        JsonNode preflightResources,
    @Key(
            value = "environment",
            flag = {"-e", "--env"},
            ours = true,
            help = BackendConfig.ENVIRONMENT_HELP)
        List<EnvVar> environment)
    implements BackendConfig, TaskImages {

  public KubernetesBackendConfig {
    codingCliSidecars = Map.copyOf(codingCliSidecars);
    extraLabels = Map.copyOf(extraLabels);
    extraAnnotations = Map.copyOf(extraAnnotations);
    podTemplate = podTemplate.map(JsonNode::deepCopy);
    preflightResources = preflightResources.deepCopy();
    environment = List.copyOf(environment);
  }

  /** The block as it is when the config file has none. */
  public static KubernetesBackendConfig defaults() {
    return Schema.defaults(KubernetesBackendConfig.class);
  }

  @Override
  public BackendKind kind() {
    return BackendKind.KUBERNETES;
  }

  /** A copy of the PodSpec as the file writes it; changing it changes nothing here. */
  @Override
  public Optional<JsonNode> podTemplate() {
    return podTemplate.map(JsonNode::deepCopy);
  }

  /** A copy of the resource requirements; changing it changes nothing here. */
  @Override
  public JsonNode preflightResources() {
    return preflightResources.deepCopy();
  }

  /**
   * Why task Pods cannot be created where this block says: an owner reference reaches only within
   * one namespace, so a Pod must be in its AgentTask's. Empty when the block names no namespace or
   * that one.
   *
   * @param workerNamespace where the worker keeps its AgentTasks
   */
  public Optional<String> namespaceProblem(String workerNamespace) {
    return namespace
        .filter(pods -> !pods.equals(workerNamespace))
        .map(
            pods ->
                "backend.kubernetes.namespace \""
                    + pods
                    + "\" is not the namespace the worker watches (\""
                    + workerNamespace
                    + "\"): task Pods are owned by their AgentTask, and an owner must be in the"
                    + " same namespace, so drop backend.kubernetes.namespace or set it to "
                    + workerNamespace);
  }
}
