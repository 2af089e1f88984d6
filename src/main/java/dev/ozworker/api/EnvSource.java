package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * Where the task's environment variables come from. Values live only in the named Secret (in the
 * task's namespace), never in the AgentTask.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record EnvSource(
    @JsonPropertyDescription(
            "Name of a Secret in the task's namespace; each key becomes an environment variable of"
                + " the agent.")
        String secretName) {}
