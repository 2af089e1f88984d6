package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * The agent configuration Oz snapshotted for the run; each field optional. Mirrors the assignment's
 * {@code agent_config_snapshot}.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record AgentConfig(
    @JsonPropertyDescription("Oz environment the agent runs in (--environment).")
        String environmentId,
    @JsonPropertyDescription("Base prompt configured for the agent in Oz.") String basePrompt,
    @JsonPropertyDescription("Model id (--model); used only with the oz harness.") String modelId,
    @JsonPropertyDescription("Agent profile (--profile).") String profileId,
    @JsonPropertyDescription("Skill specification (--skill).") String skillSpec,
    @JsonPropertyDescription("MCP servers by name, each the server's JSON configuration (--mcp).")
        Map<String, JsonNode> mcpServers,
    @JsonPropertyDescription(
            "Computer use on or off; when absent, on for the oz harness and off for others.")
        Boolean computerUseEnabled,
    @JsonPropertyDescription(
            "Minutes the agent stays up after finishing, for follow-ups (--idle-on-complete).")
        Integer idleTimeoutMinutes,
    @JsonPropertyDescription("Harness that runs the agent; oz when absent.") Harness harness,
    @JsonPropertyDescription("Names (never values) of managed secrets for third-party harnesses.")
        HarnessAuthSecrets harnessAuthSecrets,
    @JsonPropertyDescription("Inference provider settings.") InferenceProviders inferenceProviders,
    @JsonPropertyDescription("Public session sharing.") SessionSharing sessionSharing,
    @JsonPropertyDescription("Disable the end-of-run snapshot (--no-snapshot).")
        Boolean snapshotDisabled,
    @JsonPropertyDescription("Snapshot upload timeout in seconds; ignored unless positive.")
        Integer snapshotUploadTimeoutSecs,
    @JsonPropertyDescription("Snapshot script timeout in seconds; ignored unless positive.")
        Integer snapshotScriptTimeoutSecs) {

  /** The harness that runs the agent. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Harness(
      @JsonPropertyDescription("Harness name, e.g. oz, claude, codex.") String type) {}

  /** Names of managed secrets for third-party harness authentication. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record HarnessAuthSecrets(
      @JsonPropertyDescription("Managed secret name for Claude Code authentication.")
          String claudeAuthSecretName) {}

  /** Per-provider inference settings. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record InferenceProviders(
      @JsonPropertyDescription("AWS Bedrock inference.") AwsInference aws) {}

  /** AWS Bedrock inference through an assumed role. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record AwsInference(
      @JsonPropertyDescription("Bedrock inference is off when true.") Boolean disabled,
      @JsonPropertyDescription("Role to assume (--bedrock-inference-role).") String roleArn,
      @JsonPropertyDescription("Region of the role's STS endpoint (--bedrock-role-region).")
          String region) {}

  /** Public access to the agent's shared session. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record SessionSharing(
      @JsonPropertyDescription("VIEWER or EDITOR; other values are ignored.")
          String publicAccess) {}
}
