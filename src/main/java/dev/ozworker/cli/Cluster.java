package dev.ozworker.cli;

import dev.ozworker.embedded.EmbeddedApiServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The Kubernetes API a worker talks to: the kubeconfig given with {@code --kubeconfig}; else the
 * pod's service account (in-cluster); else {@code KUBECONFIG} or {@code ~/.kube/config}; else an
 * embedded in-process API server, whose state lives only in memory.
 *
 * @param description where it is, for the log
 * @param serverSideApply whether the controller may patch with server-side apply (the embedded API
 *     server answers 415)
 */
record Cluster(
    KubernetesClient client,
    String description,
    boolean serverSideApply,
    Optional<EmbeddedApiServer> embedded)
    implements AutoCloseable {
  static final Path SERVICE_ACCOUNT_TOKEN =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  /** Where the configuration comes from. */
  enum Source {
    FLAG,
    IN_CLUSTER,
    KUBECONFIG,
    EMBEDDED
  }

  /**
   * Which source wins, and the kubeconfig file it names if any.
   *
   * @param serviceAccountToken the in-cluster token file, present in a pod
   */
  static Map.Entry<Source, Optional<Path>> choose(
      Optional<Path> flag, Map<String, String> env, Path serviceAccountToken) {
    if (flag.isPresent()) {
      return Map.entry(Source.FLAG, flag);
    }
    if (env.containsKey("KUBERNETES_SERVICE_HOST") && Files.isReadable(serviceAccountToken)) {
      return Map.entry(Source.IN_CLUSTER, Optional.empty());
    }
    Optional<Path> kubeconfig =
        Optional.ofNullable(env.get("KUBECONFIG"))
            .filter(list -> !list.isBlank())
            // KUBECONFIG may list several files; the first one that exists is used.
            .flatMap(
                list ->
                    Arrays.stream(list.split(File.pathSeparator))
                        .map(Path::of)
                        .filter(Files::isRegularFile)
                        .findFirst())
            .or(
                () ->
                    Optional.ofNullable(env.get("HOME"))
                        .map(home -> Path.of(home, ".kube", "config"))
                        .filter(Files::isRegularFile));
    return kubeconfig.isPresent()
        ? Map.entry(Source.KUBECONFIG, kubeconfig)
        : Map.entry(Source.EMBEDDED, Optional.empty());
  }

  /**
   * Connects as {@link #choose} decides; an embedded API server is started when nothing else is.
   */
  static Cluster connect(Optional<Path> flag, Map<String, String> env) {
    Map.Entry<Source, Optional<Path>> choice = choose(flag, env, SERVICE_ACCOUNT_TOKEN);
    return switch (choice.getKey()) {
      case FLAG, KUBECONFIG -> {
        Path file = choice.getValue().orElseThrow();
        if (!Files.isReadable(file)) {
          throw new IllegalArgumentException(
              "--kubeconfig " + file + " cannot be read: give the path of a kubeconfig file");
        }
        yield remote(Config.fromKubeconfig(file.toFile()), "the cluster of kubeconfig " + file);
      }
      case IN_CLUSTER -> remote(Config.autoConfigure(null), "the cluster this pod runs in");
      case EMBEDDED -> {
        EmbeddedApiServer server = EmbeddedApiServer.start();
        yield new Cluster(
            server.client(WorkerSerialization.create()),
            "an embedded in-process API server at " + server.url(),
            false,
            Optional.of(server));
      }
    };
  }

  private static Cluster remote(Config config, String description) {
    return new Cluster(ApiServerClient.connect(config), description, true, Optional.empty());
  }

  boolean isEmbedded() {
    return embedded.isPresent();
  }

  @Override
  public void close() {
    client.close();
    embedded.ifPresent(EmbeddedApiServer::close);
  }
}
