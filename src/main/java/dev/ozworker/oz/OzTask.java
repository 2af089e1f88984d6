package dev.ozworker.oz;

import dev.ozworker.api.AgentConfig;
import dev.ozworker.api.TaskOwner;
import java.time.Instant;

/**
 * The task inside an assignment.
 *
 * @param id the task id the CLI is started with; the same as the assignment's {@code task_id}
 * @param agentConfigSnapshot the agent configuration Oz snapshotted for this run; decides most CLI
 *     flags
 */
public record OzTask(
    String id,
    String title,
    TaskDefinition taskDefinition,
    Instant createdAt,
    Instant updatedAt,
    TaskOwner owner,
    AgentConfig agentConfigSnapshot,
    String agentConversationId) {

  /** What the task asks for. */
  public record TaskDefinition(String prompt) {}

  /** The prompt, or empty when the definition has none. */
  public String prompt() {
    return taskDefinition == null || taskDefinition.prompt() == null ? "" : taskDefinition.prompt();
  }
}
