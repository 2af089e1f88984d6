package dev.ozworker.backend.docker;

import dev.ozworker.api.AgentTaskKeys;

/** Keys of the labels the Docker backend puts on containers and volumes it creates. */
final class DockerLabels {
  /** The Oz task id (the run id for a task authored by a user), as on the AgentTask. */
  static final String TASK_ID = AgentTaskKeys.TASK_ID_LABEL;

  /** The worker replica that started the container. */
  static final String WORKER_ID = AgentTaskKeys.WORKER_ID_LABEL;

  /** The Oz execution id, when Oz sent one. */
  static final String EXECUTION_ID = "ozworker.dev/execution-id";

  /** The run id, exact: what {@code reattach} looks the container up by. */
  static final String RUN_ID = "ozworker.dev/run-id";

  /** On a sidecar volume: the image its content was copied from. */
  static final String SIDECAR_IMAGE = "ozworker.dev/sidecar-image";

  /**
   * On a shared sidecar volume: the digest of the image its content was copied from. Only a volume
   * with this label and the image's digest is mounted as it is; any other of its name is filled
   * again (see {@code SidecarVolumes}).
   */
  static final String SIDECAR_DIGEST = "ozworker.dev/sidecar-digest";

  /** On a run's own copy of a sidecar image (a read-write sidecar): the run id. */
  static final String SIDECAR_RUN = "ozworker.dev/sidecar-run";

  /** On a sidecar volume: when it was filled, as an ISO-8601 instant. */
  static final String CREATED = "ozworker.dev/created";

  /** On the short-lived container that fills a sidecar volume: the volume's name. */
  static final String SIDECAR_FILL = "ozworker.dev/sidecar-fill";

  private DockerLabels() {}
}
