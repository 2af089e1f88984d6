package dev.ozworker.config;

import java.util.List;

/** Settings of the one backend this worker runs tasks on. */
public sealed interface BackendConfig permits DockerBackendConfig, DirectBackendConfig {
  BackendKind kind();

  /** Variables added to every task's environment after the task's own, in order. */
  List<EnvVar> environment();
}
