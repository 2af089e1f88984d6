package dev.ozworker.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The {@code backend.docker} block; each component declares its key ({@link Key}). */
public record DockerBackendConfig(
    @Key(
            value = "volumes",
            flag = {"-v", "--volumes"},
            help =
                "`HOST:CONTAINER[:MODE]` binds for every task container, after the sidecar"
                    + " volumes; flags add theirs after the file's")
        List<VolumeMount> volumes,
    @Key(
            value = "environment",
            flag = {"-e", "--env"},
            help = BackendConfig.ENVIRONMENT_HELP)
        List<EnvVar> environment,
    @Key(
            value = "default_image",
            check = Check.TOKEN,
            none = "ubuntu:22.04",
            ours = true,
            help = "image of tasks whose assignment names none")
        Optional<String> defaultImage,
    @Key(
            value = "sidecar_image",
            check = Check.TOKEN,
            none = "the assignment's",
            ours = true,
            help = "replaces the `/agent` sidecar image Oz sends, if Oz sends one")
        Optional<String> sidecarImage,
    @Key(
            value = "coding_cli_sidecars",
            check = Check.TOKEN,
            ours = true,
            help = "harness name to the image mounted at `/mnt/<harness>-cli-sidecar`")
        Map<String, String> codingCliSidecars,
    @Key(
            value = "image_pull_policy",
            byDefault = "IfNotPresent",
            ours = true,
            help =
                "when task and sidecar images are pulled: `Always` (the reference's behaviour),"
                    + " `IfNotPresent` or `Never`")
        ImagePullPolicy imagePullPolicy,
    @Key(
            value = "network_mode",
            check = Check.TOKEN,
            none = "the engine's default",
            ours = true,
            help = "Docker network of task containers, e.g. `none` or a network name")
        Optional<String> networkMode,
    @Key(
            value = "sidecar_volume_max_age",
            byDefault = "168h",
            ours = true,
            help = "sidecar volumes no running task uses are removed once this old")
        Duration sidecarVolumeMaxAge)
    implements BackendConfig, TaskImages {

  public DockerBackendConfig {
    volumes = List.copyOf(volumes);
    environment = List.copyOf(environment);
    codingCliSidecars = Map.copyOf(codingCliSidecars);
  }

  /** The block as it is when the config file has none. */
  public static DockerBackendConfig defaults() {
    return Schema.defaults(DockerBackendConfig.class);
  }

  @Override
  public BackendKind kind() {
    return BackendKind.DOCKER;
  }
}
