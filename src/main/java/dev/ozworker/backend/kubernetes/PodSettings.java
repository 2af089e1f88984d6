package dev.ozworker.backend.kubernetes;

import dev.ozworker.config.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What {@link TaskPods} needs from the worker's configuration to build a task's Pod. The namespace
 * is not here: a Pod goes beside its AgentTask.
 *
 * @param workerId the replica that creates the Pods; a label value (configuration checks it)
 * @param imagePullPolicy {@code Always}, {@code IfNotPresent} or {@code Never}, for the task image,
 *     the sidecar images and image volumes
 * @param useImageVolumes mount sidecars as image volumes (Kubernetes 1.31+ with the feature on)
 *     instead of copying them into emptyDirs with init containers
 * @param setupCommand run by {@code /bin/sh -c} in an init container before the agent
 * @param teardownCommand run by {@code /bin/sh -c} in the task container after the agent, however
 *     it ended
 * @param extraLabels put on every task Pod; the worker's own labels win over these
 * @param extraAnnotations put on every task Pod; the worker's own annotation wins over these
 * @param activeDeadlineSeconds longest a Pod may be active, when configured
 * @param workspaceSizeLimit the {@code /workspace} emptyDir's size limit, a quantity such as {@code
 *     10Gi}
 * @param podTemplate the PodSpec the worker's containers and volumes are merged into; never changed
 * @param environment the operator's variables, added after the task's and before the worker's own
 */
public record PodSettings(
    String workerId,
    String imagePullPolicy,
    boolean useImageVolumes,
    Optional<String> setupCommand,
    Optional<String> teardownCommand,
    Map<String, String> extraLabels,
    Map<String, String> extraAnnotations,
    OptionalLong activeDeadlineSeconds,
    Optional<String> workspaceSizeLimit,
    Optional<PodSpec> podTemplate,
    List<EnvVar> environment) {

  /** The pull policies Kubernetes knows. */
  public static final Set<String> PULL_POLICIES = Set.of("Always", "IfNotPresent", "Never");

  public static final String DEFAULT_PULL_POLICY = "IfNotPresent";

  public PodSettings {
    if (!PULL_POLICIES.contains(imagePullPolicy)) {
      throw new IllegalArgumentException(
          "image pull policy \"" + imagePullPolicy + "\" is none of Always, IfNotPresent, Never");
    }
    setupCommand = setupCommand.filter(command -> !command.isBlank());
    teardownCommand = teardownCommand.filter(command -> !command.isBlank());
    extraLabels = Map.copyOf(extraLabels);
    extraAnnotations = Map.copyOf(extraAnnotations);
    workspaceSizeLimit = workspaceSizeLimit.filter(limit -> !limit.isBlank());
    podTemplate = podTemplate.map(template -> new PodSpecBuilder(template).build());
    environment = List.copyOf(environment);
  }

  /** The settings of a worker that configured nothing for Kubernetes. */
  public static PodSettings defaults(String workerId) {
    return new PodSettings(
        workerId,
        DEFAULT_PULL_POLICY,
        false,
        Optional.empty(),
        Optional.empty(),
        Map.of(),
        Map.of(),
        OptionalLong.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of());
  }
}
