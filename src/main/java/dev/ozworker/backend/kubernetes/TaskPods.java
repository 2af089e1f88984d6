package dev.ozworker.backend.kubernetes;

import dev.ozworker.backend.TaskFailure;
import dev.ozworker.task.ResourceLimits;
import dev.ozworker.task.TaskObject;
import dev.ozworker.task.TaskSpec;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.CapabilitiesBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SeccompProfileBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.LongStream;

/**
 * A task's Pod, built from its {@link TaskSpec} alone: pure, so the same task always gives the same
 * Pod, and a restarted worker finds it by {@link #podName}.
 *
 * <p>The Pod runs the agent in container {@value #TASK_CONTAINER} (see {@link TaskWrapper}), after
 * init containers that copy the sidecars ({@link PodSidecars}) and run the setup command, all
 * sharing the emptyDir {@value #WORKSPACE}. Its env never holds a secret value: the task's secret
 * variables are references into the task's Secret. The operator's {@code pod_template} is merged in
 * by {@link PodTemplates}.
 *
 * <p>Security, unless the template decides: {@code automountServiceAccountToken: false} (the agent
 * has no business with the API server), {@code seccompProfile: RuntimeDefault}, and every worker
 * container without privilege escalation and without capabilities (a sidecar copier keeps {@code
 * DAC_OVERRIDE}, see {@link PodSidecars}); a template container named {@code task} that sets a
 * security context keeps its own. {@code runAsNonRoot} is not forced: task images such as {@code
 * ubuntu} run as root, and the agent often installs packages; a cluster that forbids root says so
 * in the template (or by Pod Security admission), and the task image must then have a user.
 */
public final class TaskPods {
  public static final String TASK_CONTAINER = "task";
  public static final String SETUP_CONTAINER = "setup";
  public static final String WORKSPACE_VOLUME = "workspace";
  public static final String WORKSPACE = "/workspace";
  public static final String ENVIRONMENT_FILE = WORKSPACE + "/.oz-env";
  public static final String BACKEND_NAME = "kubernetes";

  /** The owner reference's API version and kind: the AgentTask resource. */
  public static final String OWNER_API_VERSION = "ozworker.dev/v1alpha1";

  public static final String OWNER_KIND = "AgentTask";

  static final String NAME_PREFIX = "oz-task-";

  /**
   * How long past its timeout a task's Pod may still be active. The worker stops a task at its
   * timeout itself (with teardown, reported as {@code task_timeout}); the Pod's deadline only ends
   * a Pod that no worker is left to stop.
   */
  static final Duration TIMEOUT_BACKSTOP = Duration.ofMinutes(5);

  private TaskPods() {}

  /**
   * The Pod's name: {@code oz-task-<run id>} when the run id is already a DNS label that fits (Oz
   * run ids are UUIDs); otherwise a lower-case prefix of it and a hash of the whole id, so two ids
   * never share a name. At most 63 characters, so it is also a valid hostname and label value.
   */
  public static String podName(String runId) {
    int room = PodLabels.MAX_LABEL_VALUE - NAME_PREFIX.length();
    String readable = PodLabels.dnsFragment(runId, room, "run");
    if (readable.equals(runId)) {
      return NAME_PREFIX + runId;
    }
    return NAME_PREFIX
        + PodLabels.dnsFragment(runId, room - 1 - PodLabels.nameHash(runId).length(), "run")
        + "-"
        + PodLabels.nameHash(runId);
  }

  /**
   * The Pod of {@code spec}, in the AgentTask's namespace and owned by it.
   *
   * @throws TaskFailure {@code sidecar_prep} when the task's sidecars cannot be mounted
   * @throws IllegalArgumentException when a variable must come from the task's Secret but the task
   *     names none, or when the template uses a name the worker needs
   */
  public static Pod build(TaskSpec spec, PodSettings settings) throws TaskFailure {
    return build(spec, settings, TaskWrapper.ENTRYPOINT);
  }

  /** {@link #build} with the agent's entry point elsewhere, for tests of the wrapper. */
  static Pod build(TaskSpec spec, PodSettings settings, String entrypoint) throws TaskFailure {
    PodSidecars sidecars = PodSidecars.of(spec.sidecars(), settings);
    List<EnvVar> env = PodEnv.of(spec, settings);
    List<VolumeMount> mounts = new ArrayList<>();
    mounts.add(
        new VolumeMountBuilder().withName(WORKSPACE_VOLUME).withMountPath(WORKSPACE).build());
    mounts.addAll(sidecars.mounts());

    List<Container> initContainers = new ArrayList<>(sidecars.initContainers());
    settings
        .setupCommand()
        .ifPresent(
            setup ->
                initContainers.add(
                    new ContainerBuilder()
                        .withName(SETUP_CONTAINER)
                        .withImage(spec.image())
                        .withImagePullPolicy(settings.imagePullPolicy())
                        .withCommand("/bin/sh", "-c", setup)
                        .withWorkingDir(WORKSPACE)
                        .withEnv(env)
                        .withVolumeMounts(mounts)
                        .withSecurityContext(restricted())
                        .build()));
    List<Volume> volumes = new ArrayList<>();
    volumes.add(workspace(settings.workspaceSizeLimit()));
    volumes.addAll(sidecars.volumes());

    String terminationLog = terminationLog(settings.podTemplate());
    Container task =
        new ContainerBuilder()
            .withName(TASK_CONTAINER)
            .withImage(spec.image())
            .withImagePullPolicy(settings.imagePullPolicy())
            .withCommand(
                "/bin/sh",
                "-c",
                TaskWrapper.script(settings.teardownCommand(), entrypoint, terminationLog),
                "oz-task")
            .withArgs(spec.ozArgs())
            .withWorkingDir(WORKSPACE)
            .withEnv(env)
            .withVolumeMounts(mounts)
            .withResources(resources(spec.limits()).orElse(null))
            .withTerminationMessagePath(terminationLog)
            .withSecurityContext(restricted())
            .build();

    PodSpec pod = PodTemplates.merge(settings.podTemplate(), initContainers, volumes, task);
    pod.setRestartPolicy("Never");
    if (pod.getAutomountServiceAccountToken() == null) {
      pod.setAutomountServiceAccountToken(false);
    }
    if (pod.getSecurityContext() == null) {
      pod.setSecurityContext(new PodSecurityContext());
    }
    if (pod.getSecurityContext().getSeccompProfile() == null) {
      pod.getSecurityContext()
          .setSeccompProfile(new SeccompProfileBuilder().withType("RuntimeDefault").build());
    }
    deadline(spec, settings, pod).ifPresent(pod::setActiveDeadlineSeconds);
    return new PodBuilder().withMetadata(metadata(spec, settings)).withSpec(pod).build();
  }

  /**
   * The reference's labels, the operator's own and the configured extra labels; where an extra
   * label has the key of one of the worker's, the worker's wins, since the backend finds its Pods
   * by them.
   */
  static Map<String, String> labels(TaskSpec spec, PodSettings settings) {
    String executionId = spec.executionId().filter(id -> !id.isBlank()).orElse(spec.runId());
    Map<String, String> labels = new LinkedHashMap<>(settings.extraLabels());
    labels.put(PodLabels.WORKER_ID, PodLabels.labelValue(settings.workerId()));
    labels.put(PodLabels.WORKER_HASH, PodLabels.hash(settings.workerId()));
    labels.put(PodLabels.TASK_ID, PodLabels.labelValue(spec.runId()));
    labels.put(PodLabels.TASK_HASH, PodLabels.hash(spec.runId()));
    labels.put(PodLabels.EXECUTION_ID, PodLabels.labelValue(executionId));
    labels.put(PodLabels.EXECUTION_HASH, PodLabels.hash(executionId));
    labels.put(PodLabels.MANAGED_BY, PodLabels.MANAGED_BY_VALUE);
    labels.put(PodLabels.AGENT_TASK, PodLabels.exactOrHashed(spec.object().name()));
    labels.put(PodLabels.OZ_WORKER_ID, settings.workerId());
    return labels;
  }

  /**
   * Requests equal to limits, from the task's shape: CPU in millicores, memory in bytes; {@code
   * Optional.empty()} when the task has no shape, so a template's resources stay as they are.
   */
  static Optional<ResourceRequirements> resources(ResourceLimits limits) {
    Map<String, Quantity> shape = new LinkedHashMap<>();
    limits.nanoCpus().stream()
        .filter(nanos -> nanos > 0)
        .forEach(nanos -> shape.put("cpu", cpu(nanos)));
    limits.memoryBytes().stream()
        .filter(bytes -> bytes > 0)
        .forEach(bytes -> shape.put("memory", new Quantity(Long.toString(bytes))));
    if (shape.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new ResourceRequirementsBuilder().withRequests(shape).withLimits(shape).build());
  }

  /**
   * Whole CPUs as a number ({@code 2}), anything finer in millicores, rounded up ({@code 1500m}).
   */
  private static Quantity cpu(long nanoCpus) {
    long millis = Math.ceilDiv(nanoCpus, 1_000_000L);
    return new Quantity(millis % 1000 == 0 ? Long.toString(millis / 1000) : millis + "m");
  }

  private static ObjectMeta metadata(TaskSpec spec, PodSettings settings) {
    TaskObject task = spec.object();
    Map<String, String> annotations = new LinkedHashMap<>(settings.extraAnnotations());
    annotations.put(PodLabels.RUN_ID_ANNOTATION, spec.runId());
    ObjectMetaBuilder meta =
        new ObjectMetaBuilder()
            .withName(podName(spec.runId()))
            .withLabels(labels(spec, settings))
            .withAnnotations(annotations);
    if (!task.namespace().isEmpty()) {
      meta.withNamespace(task.namespace());
    }
    if (!task.uid().isEmpty()) {
      meta.addNewOwnerReference()
          .withApiVersion(OWNER_API_VERSION)
          .withKind(OWNER_KIND)
          .withName(task.name())
          .withUid(task.uid())
          .withController(true)
          .withBlockOwnerDeletion(true)
          .endOwnerReference();
    }
    return meta.build();
  }

  private static Volume workspace(Optional<String> sizeLimit) {
    VolumeBuilder volume = new VolumeBuilder().withName(WORKSPACE_VOLUME);
    return sizeLimit
        .map(limit -> volume.withNewEmptyDir().withSizeLimit(new Quantity(limit)).endEmptyDir())
        .orElseGet(() -> volume.withNewEmptyDir().endEmptyDir())
        .build();
  }

  /**
   * The shortest of the configured deadline, the task's timeout plus {@link #TIMEOUT_BACKSTOP}
   * (whole seconds, rounded up) and the template's deadline, when any is set.
   */
  private static OptionalLong deadline(TaskSpec spec, PodSettings settings, PodSpec template) {
    long timeout =
        spec.timeout().isPositive()
            ? Math.ceilDiv(spec.timeout().plus(TIMEOUT_BACKSTOP).toMillis(), 1000L)
            : 0;
    Long fromTemplate = template.getActiveDeadlineSeconds();
    return LongStream.of(
            settings.activeDeadlineSeconds().orElse(0),
            timeout,
            fromTemplate == null ? 0 : fromTemplate)
        .filter(seconds -> seconds > 0)
        .min();
  }

  /**
   * Where the task container's termination message goes: the template's {@code task} container's
   * path when it sets one, so the wrapper writes where the kubelet reads.
   */
  private static String terminationLog(Optional<PodSpec> template) {
    return template.stream()
        .flatMap(spec -> spec.getContainers().stream())
        .filter(container -> TASK_CONTAINER.equals(container.getName()))
        .map(Container::getTerminationMessagePath)
        .filter(path -> path != null && !path.isEmpty())
        .findFirst()
        .orElse(TaskWrapper.TERMINATION_LOG);
  }

  /** No privilege escalation, no capabilities: what an agent in a workspace needs. */
  private static SecurityContext restricted() {
    Capabilities none = new CapabilitiesBuilder().withDrop("ALL").build();
    return new SecurityContextBuilder()
        .withAllowPrivilegeEscalation(false)
        .withCapabilities(none)
        .build();
  }
}
