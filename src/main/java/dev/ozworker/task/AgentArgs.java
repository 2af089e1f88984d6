package dev.ozworker.task;

import dev.ozworker.api.AgentConfig;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.TaskOwner;
import dev.ozworker.config.DurationText;
import dev.ozworker.config.WorkerConfig;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The arguments of {@code oz agent run}, in the reference worker's exact order (docs/protocol.md,
 * "Arguments"). Strings from the snapshot are trimmed and empty ones count as absent, except where
 * the reference compares them untrimmed (the harness's oz test, the public-access level); those
 * quirks are kept so the agent sees what it would see under the reference.
 */
final class AgentArgs {
  /** What a user-authored task's agent is told to idle when nothing else says: not at all. */
  static final String USER_TASK_IDLE = "0s";

  private final List<String> args = new ArrayList<>();

  private AgentArgs() {}

  /**
   * @param ozTaskId the Oz task id; empty for a user-authored task, which gets {@code --prompt}
   *     instead of {@code --task-id}
   */
  static List<String> of(Optional<String> ozTaskId, AgentTaskSpec spec, WorkerConfig config) {
    AgentArgs out = new AgentArgs();
    out.add("agent", "run");
    TaskOwner owner = spec.getOwner();
    if (owner != null && "TEAM".equals(owner.type())) {
      out.add("--share", "team:edit");
    }
    ozTaskId.ifPresentOrElse(
        id -> out.add("--task-id", id), () -> out.add("--prompt", spec.getPrompt()));
    out.add(
        "--sandboxed", "--server-root-url", config.serverRootUrl().map(URI::toString).orElse(""));
    AgentConfig agent = spec.getAgentConfig();
    if (agent != null) {
      out.addSnapshotFlags(agent);
    }
    if (spec.getAdditionalOzArgs() != null) {
      spec.getAdditionalOzArgs().forEach(arg -> out.add(arg == null ? "" : arg));
    }
    out.add("--idle-on-complete");
    idleOnComplete(agent, config)
        .or(() -> ozTaskId.isEmpty() ? Optional.of(USER_TASK_IDLE) : Optional.empty())
        .ifPresent(out::add);
    config
        .sessionSharingServerUrl()
        .ifPresent(url -> out.add("--session-sharing-server-url", url.toString()));
    return List.copyOf(out.args);
  }

  private void addSnapshotFlags(AgentConfig agent) {
    boolean ozHarness = isOzHarness(agent.harness());
    if (ozHarness) {
      trimmed(agent.modelId()).ifPresent(model -> add("--model", model));
    }
    trimmed(agent.profileId()).ifPresent(profile -> add("--profile", profile));
    trimmed(agent.skillSpec()).ifPresent(skill -> add("--skill", skill));
    if (agent.mcpServers() != null && !agent.mcpServers().isEmpty()) {
      add("--mcp", GoJson.sortedObject(agent.mcpServers()));
    }
    boolean computerUse =
        agent.computerUseEnabled() != null ? agent.computerUseEnabled() : ozHarness;
    add(computerUse ? "--computer-use" : "--no-computer-use");
    Optional.ofNullable(agent.inferenceProviders())
        .map(AgentConfig.InferenceProviders::aws)
        .filter(aws -> !Boolean.TRUE.equals(aws.disabled()))
        .ifPresent(this::addBedrock);
    Optional.ofNullable(agent.harness())
        .flatMap(harness -> trimmed(harness.type()))
        .ifPresent(harness -> add("--harness", harness));
    Optional.ofNullable(agent.sessionSharing())
        .map(AgentConfig.SessionSharing::publicAccess)
        .flatMap(AgentArgs::publicShare)
        .ifPresent(share -> add("--share", share));
    if (Boolean.TRUE.equals(agent.snapshotDisabled())) {
      add("--no-snapshot");
    }
    positive(agent.snapshotUploadTimeoutSecs())
        .ifPresent(secs -> add("--snapshot-upload-timeout", secs + "s"));
    positive(agent.snapshotScriptTimeoutSecs())
        .ifPresent(secs -> add("--snapshot-script-timeout", secs + "s"));
    trimmed(agent.environmentId()).ifPresent(environment -> add("--environment", environment));
  }

  private void addBedrock(AgentConfig.AwsInference aws) {
    trimmed(aws.roleArn())
        .ifPresent(
            role -> {
              add("--bedrock-inference-role", role);
              trimmed(aws.region()).ifPresent(region -> add("--bedrock-role-region", region));
            });
  }

  /** The built-in harness: absent, empty or exactly "oz" (untrimmed, as the reference tests it). */
  static boolean isOzHarness(AgentConfig.Harness harness) {
    return harness == null
        || harness.type() == null
        || harness.type().isEmpty()
        || harness.type().equals("oz");
  }

  /** Task minutes, then the worker's setting; empty means the bare flag (the CLI's default). */
  private static Optional<String> idleOnComplete(AgentConfig agent, WorkerConfig config) {
    Optional<String> taskMinutes =
        Optional.ofNullable(agent)
            .flatMap(a -> positive(a.idleTimeoutMinutes()))
            .map(minutes -> minutes + "m");
    // Passed as written, as the reference passes it: the agent reads it, not this worker.
    return taskMinutes.or(() -> config.idleOnComplete().map(DurationText::text));
  }

  private static Optional<String> publicShare(String level) {
    return switch (level) {
      case "VIEWER" -> Optional.of("public:view");
      case "EDITOR" -> Optional.of("public:edit");
      default -> Optional.empty();
    };
  }

  private static Optional<String> trimmed(String text) {
    return Optional.ofNullable(text).map(String::trim).filter(t -> !t.isEmpty());
  }

  private static Optional<Integer> positive(Integer value) {
    return Optional.ofNullable(value).filter(v -> v > 0);
  }

  private void add(String... tokens) {
    args.addAll(List.of(tokens));
  }
}
