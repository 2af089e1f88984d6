package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
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

  private static void closeQuietly(DockerClient client) {
    try {
      client.close();
    } catch (IOException ignored) {
      // closing a client that failed to connect; nothing left to release
    }
  }
}
