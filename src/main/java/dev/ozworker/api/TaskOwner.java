package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Who owns the task in Oz; a TEAM-owned task is shared with the team. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record TaskOwner(
    @JsonPropertyDescription("USER or TEAM.") String type,
    @JsonPropertyDescription("The owner's numeric id in Oz.") Long id) {}
