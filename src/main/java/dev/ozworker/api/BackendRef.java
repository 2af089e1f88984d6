package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * What the backend started for the task, so a restarted worker can find it again. Written before
 * the backend is asked to start (with only {@code backend} and {@code runId}), then completed with
 * what the backend reports.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record BackendRef(
    @JsonPropertyDescription("docker, direct, kubernetes or command.") String backend,
    @JsonPropertyDescription(
            "Run id: the Oz task id, or the AgentTask's name; names the container and workspace.")
        String runId,
    @JsonPropertyDescription("Docker container id.") String containerId,
    @JsonPropertyDescription("Process id of the agent (Direct backend).") Long processId,
    @JsonPropertyDescription("Workspace directory of the task (Direct backend).") String workspace,
    @JsonPropertyDescription("The task's Pod, in the task's namespace (Kubernetes backend).")
        String pod) {

  /** The reference of a run the backend has not reported anything about yet. */
  public static BackendRef planned(String backend, String runId) {
    return new BackendRef(backend, runId, null, null, null, null);
  }
}
