package dev.ozworker.task;

import dev.ozworker.config.BackendKind;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A task resolved into what a backend runs: everything decided, nothing left to look up.
 *
 * @param runId names the run's workspace, container and logs: the Oz task id, or the AgentTask's
 *     name for a user-authored task; always a {@linkplain TaskIds safe} path component
 * @param ozTaskId the Oz task id; empty for a user-authored task, which is never reported
 * @param executionId the Oz execution id, when Oz sent one
 * @param backend the backend that runs the task
 * @param image the task container's image (Docker)
 * @param env the agent's environment before backend additions, in order
 * @param ozArgs the arguments of the {@code oz} CLI, starting with {@code agent run}
 * @param sidecars images mounted into the task's container, in order (Docker)
 * @param limits container limits (Docker)
 * @param timeout longest the agent may run; zero means no limit
 * @param harness the harness type, trimmed (e.g. {@code claude}); empty when the task names none
 * @param object the AgentTask the run belongs to
 */
public record TaskSpec(
    String runId,
    Optional<String> ozTaskId,
    Optional<String> executionId,
    BackendKind backend,
    String image,
    TaskEnv env,
    List<String> ozArgs,
    List<Sidecar> sidecars,
    ResourceLimits limits,
    Duration timeout,
    String harness,
    TaskObject object) {

  public TaskSpec {
    ozArgs = List.copyOf(ozArgs);
    sidecars = List.copyOf(sidecars);
  }
}
