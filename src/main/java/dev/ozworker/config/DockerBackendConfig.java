package dev.ozworker.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code backend.docker} block.
 *
 * @param volumes binds added to every task container, after the sidecar volumes
 * @param environment variables added after the task's own
 * @param defaultImage image of tasks whose assignment names none
 * @param sidecarImage replaces the {@code /agent} sidecar image Oz sends, if Oz sends one
 * @param codingCliSidecars harness name to the image mounted at {@code /mnt/<harness>-cli-sidecar}
 * @param imagePullPolicy when task and sidecar images are pulled
 * @param networkMode Docker network of task containers; the engine's default when empty
 * @param sidecarVolumeMaxAge sidecar volumes no running task uses are removed once this old
 */
public record DockerBackendConfig(
    List<VolumeMount> volumes,
    List<EnvVar> environment,
    Optional<String> defaultImage,
    Optional<String> sidecarImage,
    Map<String, String> codingCliSidecars,
    ImagePullPolicy imagePullPolicy,
    Optional<String> networkMode,
    Duration sidecarVolumeMaxAge)
    implements BackendConfig {

  public DockerBackendConfig {
    volumes = List.copyOf(volumes);
    environment = List.copyOf(environment);
    codingCliSidecars = Map.copyOf(codingCliSidecars);
  }

  /** The block as it is when the config file has none. */
  public static DockerBackendConfig defaults() {
    return new DockerBackendConfig(
        List.of(),
        List.of(),
        Optional.empty(),
        Optional.empty(),
        Map.of(),
        WorkerConfig.DEFAULT_IMAGE_PULL_POLICY,
        Optional.empty(),
        WorkerConfig.DEFAULT_SIDECAR_VOLUME_MAX_AGE);
  }

  @Override
  public BackendKind kind() {
    return BackendKind.DOCKER;
  }
}
