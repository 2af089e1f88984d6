package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The Docker engine the backend runs containers on, as the environment names it ({@code
 * DOCKER_HOST}, {@code DOCKER_TLS_VERIFY}, {@code DOCKER_CERT_PATH}, {@code DOCKER_CONFIG}),
 * checked at connect: it answers a ping and runs linux/amd64 or linux/arm64 (the platforms the
 * agent sidecar is built for).
 *
 * @param client the engine's client; no response timeout, as waits and log streams last as long as
 *     the task
 * @param platform the engine's platform, e.g. {@code linux/amd64}; images must match it
 * @param dockerConfigDir where the Docker config file (registry credentials) is read from
 */
public record DockerEngine(DockerClient client, String platform, Path dockerConfigDir)
    implements AutoCloseable {
  static final Set<String> PLATFORMS = Set.of("linux/amd64", "linux/arm64");

  /**
   * Connects to the engine the environment names.
   *
   * @throws IllegalStateException saying which address did not answer, or which platform is
   *     unsupported
   */
  public static DockerEngine fromEnvironment() {
    return connect(DefaultDockerClientConfig.createDefaultConfigBuilder().build());
  }

  /** Connects to the engine at {@code dockerHost}, the environment naming the rest. */
  static DockerEngine at(String dockerHost) {
    return connect(
        DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(dockerHost).build());
  }

  private static DockerEngine connect(DockerClientConfig config) {
    DockerClient client =
        DockerClientImpl.getInstance(
            config,
            new StaleConnectionRetry(
                new ZerodepDockerHttpClient.Builder()
                    .dockerHost(config.getDockerHost())
                    .sslConfig(config.getSSLConfig())
                    .connectionTimeout(Duration.ofSeconds(5))
                    .build()));
    Version version;
    try {
      client.pingCmd().exec();
      version = client.versionCmd().exec();
    } catch (RuntimeException e) {
      closeQuietly(client);
      throw new IllegalStateException(
          "no Docker engine answers at "
              + config.getDockerHost()
              + " ("
              + e.getMessage()
              + "): start dockerd, or set DOCKER_HOST to the engine's address",
          e);
    }
    String platform = version.getOperatingSystem() + "/" + version.getArch();
    Optional<String> problem = platformProblem(platform);
    if (problem.isPresent()) {
      closeQuietly(client);
      throw new IllegalStateException(
          "the Docker engine at " + config.getDockerHost() + " " + problem.get());
    }
    String configDir =
        config instanceof DefaultDockerClientConfig defaults
                && defaults.getDockerConfigPath() != null
            ? defaults.getDockerConfigPath()
            : System.getProperty("user.home") + "/.docker";
    return new DockerEngine(client, platform, Path.of(configDir));
  }

  /**
   * {@code docker import}: makes the image {@code reference} ({@code repository:tag}) from a root
   * file system tarball, applying Dockerfile instructions such as {@code LABEL k=v}. docker-java's
   * own import command sends its stream JSON-encoded (docker-java issue 2377), so the request goes
   * through the client's transport, its body in memory so that it may be sent again on another
   * connection ({@link StaleConnectionRetry}).
   *
   * @throws IOException when the engine refuses it, with the engine's answer
   * @throws IllegalStateException when this engine's client has no HTTP transport to send it on
   */
  public void importImage(String reference, byte[] rootfs, List<String> changes)
      throws IOException {
    if (!(client instanceof DockerClientImpl impl)) {
      throw new IllegalStateException("docker import needs a client connected to an engine");
    }
    int colon = reference.lastIndexOf(':');
    StringBuilder query =
        new StringBuilder("fromSrc=-&repo=")
            .append(encode(reference.substring(0, colon)))
            .append("&tag=")
            .append(encode(reference.substring(colon + 1)));
    changes.forEach(change -> query.append("&changes=").append(encode(change)));
    DockerHttpClient.Request request =
        DockerHttpClient.Request.builder()
            .method(DockerHttpClient.Request.Method.POST)
            .path("/images/create?" + query)
            .putHeader("Content-Type", "application/x-tar")
            .bodyBytes(rootfs)
            .build();
    try (DockerHttpClient.Response response = impl.getHttpClient().execute(request)) {
      String progress = new String(response.getBody().readAllBytes(), StandardCharsets.UTF_8);
      if (response.getStatusCode() != 200 || progress.contains("\"error\"")) {
        throw new IOException(
            "docker import of "
                + reference
                + " failed ("
                + response.getStatusCode()
                + "): "
                + progress.strip());
      }
    }
  }

  /** Why the backend cannot run on an engine of {@code platform}, if it cannot. */
  static Optional<String> platformProblem(String platform) {
    return PLATFORMS.contains(platform)
        ? Optional.empty()
        : Optional.of("runs " + platform + "; the Docker backend needs linux/amd64 or linux/arm64");
  }

  @Override
  public void close() {
    closeQuietly(client);
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  private static void closeQuietly(DockerClient client) {
    try {
      client.close();
    } catch (IOException ignored) {
      // closing a client that failed to connect; nothing left to release
    }
  }
}
