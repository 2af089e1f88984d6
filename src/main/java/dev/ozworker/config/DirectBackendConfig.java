package dev.ozworker.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The {@code backend.direct} block; each component declares its key ({@link Key}). */
public record DirectBackendConfig(
    @Key(
            value = "workspace_root",
            byDefault = "/var/lib/oz/workspaces",
            help = "parent of the per-task workspaces; an absolute path")
        Path workspaceRoot,
    @Key(
            value = "target_dir",
            flag = "--target-dir",
            label = "DIR",
            blank = Key.Blank.ABSENT,
            none = "a workspace per task",
            help =
                "run every task in this directory instead of a workspace of its own (absolute in"
                    + " the file; the flag may be relative)")
        Optional<Path> targetDir,
    @Key(value = "oz_path", blank = Key.Blank.ABSENT, none = "oz on PATH", help = "the Oz CLI")
        Optional<String> ozPath,
    @Key(
            value = "setup_command",
            blank = Key.Blank.ABSENT,
            help = "shell command run in the workspace before the agent")
        Optional<String> setupCommand,
    @Key(
            value = "teardown_command",
            blank = Key.Blank.ABSENT,
            help = "shell command run after the agent, whatever happened to it")
        Optional<String> teardownCommand,
    @Key(
            value = "teardown_timeout",
            byDefault = "5m",
            ours = true,
            help = "longest the teardown command may run")
        Duration teardownTimeout,
    @Key(
            value = "environment",
            flag = {"-e", "--env"},
            help = BackendConfig.ENVIRONMENT_HELP)
        List<EnvVar> environment,
    @Key(
            value = "secret_env_names",
            check = Check.VARIABLE_NAME,
            ours = true,
            help =
                "the worker's own environment variables that are secret, besides `WARP_API_KEY`:"
                    + " setup and teardown never get them, and their values are masked in task"
                    + " logs")
        List<String> secretEnvNames,
    @Key(
            value = "run_as_uid",
            ours = true,
            none = "the worker's own uid",
            help =
                "run setup, the agent and teardown as this uid (via `setpriv`), so that they"
                    + " cannot read the worker's files, token or environment; needs a workspace"
                    + " per task and a worker running as root with CAP_SETUID, CAP_SETGID,"
                    + " CAP_CHOWN, CAP_KILL, CAP_DAC_OVERRIDE and CAP_FOWNER")
        Optional<Long> runAsUid,
    @Key(
            value = "run_as_gid",
            ours = true,
            none = "the same as run_as_uid",
            help = "the group of setup, the agent and teardown when `run_as_uid` is set")
        Optional<Long> runAsGid)
    implements BackendConfig {

  public DirectBackendConfig {
    environment = List.copyOf(environment);
    secretEnvNames = List.copyOf(secretEnvNames);
  }

  /** The block as it is when the config file has none. */
  public static DirectBackendConfig defaults() {
    return Schema.defaults(DirectBackendConfig.class);
  }

  @Override
  public BackendKind kind() {
    return BackendKind.DIRECT;
  }
}
