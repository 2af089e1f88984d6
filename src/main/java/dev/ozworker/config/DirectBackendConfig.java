package dev.ozworker.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code backend.direct} block.
 *
 * @param workspaceRoot parent of the per-task workspaces
 * @param targetDir when present, every task runs in this directory instead of its own workspace
 * @param ozPath the Oz CLI; {@code oz} on PATH when empty
 * @param setupCommand shell command run in the workspace before the agent
 * @param teardownCommand shell command run after the agent, whatever happened to it
 * @param teardownTimeout longest the teardown command may run
 * @param environment variables added after the task's own
 */
public record DirectBackendConfig(
    Path workspaceRoot,
    Optional<Path> targetDir,
    Optional<String> ozPath,
    Optional<String> setupCommand,
    Optional<String> teardownCommand,
    Duration teardownTimeout,
    List<EnvVar> environment)
    implements BackendConfig {

  public DirectBackendConfig {
    environment = List.copyOf(environment);
  }

  /** The block as it is when the config file has none. */
  public static DirectBackendConfig defaults() {
    return new DirectBackendConfig(
        WorkerConfig.DEFAULT_WORKSPACE_ROOT,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        WorkerConfig.DEFAULT_TEARDOWN_TIMEOUT,
        List.of());
  }

  @Override
  public BackendKind kind() {
    return BackendKind.DIRECT;
  }
}
