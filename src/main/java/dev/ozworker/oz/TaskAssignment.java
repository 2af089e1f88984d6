package dev.ozworker.oz;

import dev.ozworker.api.InstanceShape;
import dev.ozworker.api.SidecarMount;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Oz offers the worker a task. {@code envVars} holds secrets (task-scoped API keys, tokens): they
 * go into the task's Secret only, and {@link #toString()} shows their names, never their values.
 *
 * @param executionId this run of the task; a follow-up run of the same task has a new one
 * @param task absent only in a malformed assignment, which the worker rejects
 * @param dockerImage image of the task's container; the worker's default when empty
 * @param sidecarImage image holding the agent entrypoint and CLI, mounted at {@code /agent}
 * @param additionalSidecars further images mounted into the task's container, in order
 * @param additionalOzArgs CLI arguments passed verbatim
 * @param instanceShape compute size; absent or non-positive axes are unset
 */
public record TaskAssignment(
    String taskId,
    String executionId,
    OzTask task,
    String dockerImage,
    String sidecarImage,
    Map<String, String> envVars,
    List<SidecarMount> additionalSidecars,
    List<String> additionalOzArgs,
    InstanceShape instanceShape)
    implements ServerMessage {

  public TaskAssignment {
    envVars = envVars == null ? Map.of() : withoutNulls(envVars);
    additionalSidecars =
        additionalSidecars == null
            ? List.of()
            : Collections.unmodifiableList(new ArrayList<>(additionalSidecars));
    additionalOzArgs =
        additionalOzArgs == null
            ? List.of()
            : additionalOzArgs.stream().map(arg -> arg == null ? "" : arg).toList();
  }

  /** A JSON {@code null} value means an empty one, as in the reference. */
  private static Map<String, String> withoutNulls(Map<String, String> envVars) {
    Map<String, String> copy = new LinkedHashMap<>();
    envVars.forEach((name, value) -> copy.put(name, value == null ? "" : value));
    return Collections.unmodifiableMap(copy);
  }

  @Override
  public String toString() {
    return "TaskAssignment[taskId="
        + taskId
        + ", executionId="
        + executionId
        + ", task="
        + task
        + ", dockerImage="
        + dockerImage
        + ", sidecarImage="
        + sidecarImage
        + ", envVars="
        + envVars.keySet()
        + " (values hidden), additionalSidecars="
        + additionalSidecars
        + ", additionalOzArgs="
        + additionalOzArgs
        + ", instanceShape="
        + instanceShape
        + "]";
  }
}
