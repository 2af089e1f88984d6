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

  /** On a sidecar volume: when it was filled, as an ISO-8601 instant. */
  static final String CREATED = "ozworker.dev/created";

  /** On the short-lived container that fills a sidecar volume: the volume's name. */
  static final String SIDECAR_FILL = "ozworker.dev/sidecar-fill";

  private DockerLabels() {}
}
