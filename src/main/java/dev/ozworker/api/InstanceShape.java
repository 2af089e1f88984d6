package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Compute size of the task's container. An axis that is absent or not positive is unset. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record InstanceShape(
    @JsonPropertyDescription("CPU limit in whole vCPUs; unset when absent or not positive.")
        Integer vcpus,
    @JsonPropertyDescription(
            "Memory limit in GiB, with swap capped at the same value; unset when absent or not"
                + " positive.")
        Integer memoryGb) {}
