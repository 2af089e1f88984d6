package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** An extra image whose filesystem is mounted into the task's container. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record SidecarMount(
    @JsonPropertyDescription("Image whose filesystem is mounted, e.g. ghcr.io/acme/tools:1.2.")
        String image,
    @JsonPropertyDescription("Absolute path inside the task's container where it is mounted.")
        String mountPath,
    @JsonPropertyDescription("Mount read-write; read-only when false or absent.")
        Boolean readWrite) {}
