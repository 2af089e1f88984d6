package dev.ozworker.cli;

import dev.ozworker.backend.Backend;
import dev.ozworker.backend.command.CommandBackend;
import dev.ozworker.backend.direct.DirectBackend;
import dev.ozworker.backend.docker.DockerBackend;
import dev.ozworker.backend.kubernetes.KubernetesBackend;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.WorkerConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/** The backend a worker is configured with, connected. */
final class WorkerBackends {
  private WorkerBackends() {}

  /**
   * @param env the worker's environment (the Direct backend's host environment)
   * @throws ConfigException when the Direct backend's CLI or directories are missing, or the
   *     backend is not in this build
   * @throws IllegalStateException when no usable Docker engine answers, saying where it looked
   */
  static Backend create(WorkerConfig config, Map<String, String> env, Clock clock)
      throws ConfigException {
    return create(config, env, clock, Optional.empty());
  }

  /**
   * @param cluster the cluster the worker keeps its AgentTasks in; the Kubernetes backend runs the
   *     tasks' Pods there
   */
  static Backend create(
      WorkerConfig config, Map<String, String> env, Clock clock, Optional<Cluster> cluster)
      throws ConfigException {
    return switch (config.backend().kind()) {
      case DIRECT -> DirectBackend.create(config, env);
      case COMMAND -> CommandBackend.create(config, env);
      case DOCKER -> {
        try {
          yield DockerBackend.connect(config, clock);
        } catch (IllegalStateException e) {
          throw new IllegalStateException(
              "the docker backend cannot start: "
                  + e.getMessage()
                  + "; or run tasks as local processes with --backend direct",
              e);
        }
      }
      case KUBERNETES -> kubernetes(config, clock, cluster);
    };
  }

  private static Backend kubernetes(WorkerConfig config, Clock clock, Optional<Cluster> cluster)
      throws ConfigException {
    if (cluster.isEmpty() || cluster.get().isEmbedded()) {
      throw new ConfigException(
          "the kubernetes backend runs tasks as Pods, which needs a real cluster: run the worker"
              + " in a pod, or pass --kubeconfig (or set backend.kubernetes.kubeconfig)");
    }
    KubernetesClient client = cluster.get().client();
    String namespace =
        config
            .namespace()
            .orElse(client.getNamespace() == null ? "default" : client.getNamespace());
    try {
      return KubernetesBackend.create(config, client, namespace, clock);
    } catch (KubernetesClientException e) {
      throw new IllegalStateException(
          "the kubernetes backend cannot watch Pods in namespace "
              + namespace
              + ": "
              + e.getMessage()
              + "; grant the worker's service account pods get/list/watch there",
          e);
    }
  }
}
