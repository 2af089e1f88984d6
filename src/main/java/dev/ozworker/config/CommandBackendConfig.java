package dev.ozworker.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code backend.command} block; each component declares its key ({@link Key}). The worker
 * hands each task to {@code dispatch_command} and forgets it once that exits 0 (docs/protocol.md,
 * "Command"; docs/adr/0016-command-backend.md).
 */
public record CommandBackendConfig(
    @Key(
            value = "dispatch_command",
            blank = Key.Blank.ABSENT,
            none = "none: the command backend refuses to start without it",
            help =
                "shell command (`/bin/sh -c`) that hands a task to another runtime; it reads the"
                    + " dispatch payload (JSON, with the task's env and secrets) on stdin and"
                    + " exits 0 once the runtime has accepted the task; required")
        Optional<String> dispatchCommand,
    @Key(
            value = "cancel_command",
            blank = Key.Blank.ABSENT,
            none = "cancellations of dispatched tasks are not passed on",
            help =
                "shell command run when Oz cancels a task being or already dispatched, with"
                    + " `OZ_RUN_ID` and `OZ_EXECUTION_ID` in its environment; a failure is"
                    + " logged and counted, never retried")
        Optional<String> cancelCommand,
    @Key(
            value = "dispatch_timeout",
            byDefault = "60s",
            help =
                "longest `dispatch_command` may run; it is then killed and the task fails with"
                    + " `dispatch_timeout`")
        Duration dispatchTimeout,
    @Key(
            value = "environment",
            flag = {"-e", "--env"},
            // one declaration for every block's -e; docs/configuration.md says where the
            // command backend puts them: in its commands' environment, not the task's
            help = BackendConfig.ENVIRONMENT_HELP)
        List<EnvVar> environment)
    implements BackendConfig {

  public CommandBackendConfig {
    environment = List.copyOf(environment);
  }

  /** The block as it is when the config file has none. */
  public static CommandBackendConfig defaults() {
    return Schema.defaults(CommandBackendConfig.class);
  }

  @Override
  public BackendKind kind() {
    return BackendKind.COMMAND;
  }
}
