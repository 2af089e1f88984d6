package dev.ozworker.backend.kubernetes;

import dev.ozworker.config.ConfigException;
import dev.ozworker.config.KubernetesBackendConfig;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/** The worker's {@code backend.kubernetes} block read into what the Pod builder takes. */
final class KubernetesSettings {
  private KubernetesSettings() {}

  /**
   * @param namespace the worker's namespace, where its task Pods go
   * @throws ConfigException when the block names another namespace or its {@code pod_template} is
   *     not a PodSpec
   */
  static PodSettings of(
      String workerId,
      KubernetesBackendConfig kubernetes,
      KubernetesClient client,
      String namespace)
      throws ConfigException {
    Optional<String> problem = kubernetes.namespaceProblem(namespace);
    if (problem.isPresent()) {
      throw new ConfigException(problem.get());
    }
    return new PodSettings(
        workerId,
        kubernetes.imagePullPolicy().name(),
        kubernetes.useImageVolumes(),
        kubernetes.setupCommand(),
        kubernetes.teardownCommand(),
        kubernetes.extraLabels(),
        kubernetes.extraAnnotations(),
        kubernetes.activeDeadlineSeconds().stream().mapToLong(Long::longValue).findFirst(),
        kubernetes.workspaceSizeLimit(),
        podTemplate(client, kubernetes),
        kubernetes.environment());
  }

  private static Optional<PodSpec> podTemplate(
      KubernetesClient client, KubernetesBackendConfig kubernetes) throws ConfigException {
    if (kubernetes.podTemplate().isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          client
              .getKubernetesSerialization()
              .convertValue(kubernetes.podTemplate().get(), PodSpec.class));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "backend.kubernetes.pod_template is not a PodSpec: "
              + e.getMessage()
              + "; write it as a Pod's spec (containers, volumes, nodeSelector, ...)");
    }
  }
}
