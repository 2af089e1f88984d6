package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What the backend started for the task, so a restarted worker can find it again. */
public record BackendRef(
    @JsonPropertyDescription("docker or direct.") String backend,
    @JsonPropertyDescription("Docker container id.") String containerId,
    @JsonPropertyDescription("Process id of the agent (Direct backend).") Long processId,
    @JsonPropertyDescription("Workspace directory of the task (Direct backend).")
        String workspace) {}
