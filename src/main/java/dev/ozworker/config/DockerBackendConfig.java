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
        Duration sidecarVolumeMaxAge,
    @Key(
            value = "no_new_privileges",
            byDefault = "true",
            ours = true,
            help =
                "task containers run with `no-new-privileges`: no setuid binary or file capability"
                    + " raises what a process may do")
        boolean noNewPrivileges,
    @Key(
            value = "pids_limit",
            byDefault = "4096",
            zero = "no limit",
            ours = true,
            help =
                "most processes and threads a task container may have at once (a fork bomb stops)")
        long pidsLimit,
    @Key(
            value = "cap_drop",
            byDefault = "[NET_RAW, MKNOD, AUDIT_WRITE, SYS_CHROOT]",
            check = Check.CAPABILITY,
            ours = true,
            help =
                "capabilities task containers do without, of those the engine grants by default;"
                    + " `[]` keeps them all")
        List<String> capDrop,
    @Key(
            value = "default_memory",
            check = Check.QUANTITY,
            none = "no limit",
            ours = true,
            help =
                "memory limit (swap included) of a task whose instance shape sets none, as a"
                    + " quantity, e.g. `8Gi`")
        Optional<String> defaultMemory,
    @Key(
            value = "default_cpus",
            check = Check.QUANTITY,
            none = "no limit",
            ours = true,
            help =
                "CPU limit of a task whose instance shape sets none, as a quantity, e.g. `2` or"
                    + " `1500m`")
        Optional<String> defaultCpus)
    implements BackendConfig, TaskImages {

  public DockerBackendConfig {
    capDrop = List.copyOf(capDrop);
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
