package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Why a task failed, as Oz knows it. The wire strings are the server's list; never invent one. */
public enum FailureReason {
  @JsonProperty("unknown")
  UNKNOWN("unknown"),
  @JsonProperty("task_timeout")
  TASK_TIMEOUT("task_timeout"),
  @JsonProperty("task_cancelled")
  TASK_CANCELLED("task_cancelled"),
  @JsonProperty("graceful_shutdown")
  GRACEFUL_SHUTDOWN("graceful_shutdown"),
  @JsonProperty("image_pull")
  IMAGE_PULL("image_pull"),
  @JsonProperty("sidecar_prep")
  SIDECAR_PREP("sidecar_prep"),
  @JsonProperty("container_create")
  CONTAINER_CREATE("container_create"),
  @JsonProperty("container_start")
  CONTAINER_START("container_start"),
  @JsonProperty("container_wait")
  CONTAINER_WAIT("container_wait"),
  @JsonProperty("container_exit")
  CONTAINER_EXIT("container_exit"),
  @JsonProperty("container_oom")
  CONTAINER_OOM("container_oom"),
  @JsonProperty("workspace_setup")
  WORKSPACE_SETUP("workspace_setup"),
  @JsonProperty("setup_command")
  SETUP_COMMAND("setup_command"),
  @JsonProperty("agent_invocation")
  AGENT_INVOCATION("agent_invocation"),
  @JsonProperty("teardown_command")
  TEARDOWN_COMMAND("teardown_command"),
  @JsonProperty("dispatch_command")
  DISPATCH_COMMAND("dispatch_command"),
  @JsonProperty("dispatch_timeout")
  DISPATCH_TIMEOUT("dispatch_timeout"),
  @JsonProperty("cancel_command")
  CANCEL_COMMAND("cancel_command"),
  @JsonProperty("job_create")
  JOB_CREATE("job_create"),
  @JsonProperty("job_watch")
  JOB_WATCH("job_watch"),
  @JsonProperty("job_failed")
  JOB_FAILED("job_failed"),
  @JsonProperty("evicted")
  EVICTED("evicted"),
  @JsonProperty("pod_watch")
  POD_WATCH("pod_watch"),
  @JsonProperty("unschedulable")
  UNSCHEDULABLE("unschedulable"),
  @JsonProperty("volume_mount")
  VOLUME_MOUNT("volume_mount"),
  @JsonProperty("init_container")
  INIT_CONTAINER("init_container"),
  @JsonProperty("invalid_image")
  INVALID_IMAGE("invalid_image"),
  @JsonProperty("active_deadline")
  ACTIVE_DEADLINE("active_deadline"),
  @JsonProperty("cleanup")
  CLEANUP("cleanup");

  private final String wireName;

  FailureReason(String wireName) {
    this.wireName = wireName;
  }

  /** The exact string Oz expects in {@code failure_reason}. */
  public String wireName() {
    return wireName;
  }
}
