package dev.ozworker.config;

import java.util.List;

/**
 * Settings of the one backend this worker runs tasks on: the block under {@code backend} named by
 * {@link BackendKind}, a record whose components declare its keys ({@link Key}).
 */
public sealed interface BackendConfig
    permits DockerBackendConfig,
        DirectBackendConfig,
        KubernetesBackendConfig,
        CommandBackendConfig {
  /** The meaning of the {@code environment} key every backend's block has. */
  String ENVIRONMENT_HELP =
      "variables added to every task's environment after its own: `{name, value}` in the file,"
          + " `KEY=VALUE` as a flag; without a value the worker's own is passed on (empty when"
          + " unset); a flag replaces the file's value of its name";

  BackendKind kind();

  /** Variables added to every task's environment after the task's own, in order. */
  List<EnvVar> environment();
}
