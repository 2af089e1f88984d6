package dev.ozworker.backend.docker;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the task's container is created with: every parameter decided, nothing looked up.
 *
 * @param name the container's name, derived from the run id
 * @param image the task image
 * @param labels the container's labels (task, worker, execution and run ids)
 * @param cmd {@code /agent/entrypoint.sh} and the agent's arguments
 * @param env {@code NAME=value}: the task's env, then the operator's
 * @param workingDir always {@code /workspace}
 * @param binds sidecar volumes, then the operator's volumes ({@code HOST:CONTAINER[:MODE]})
 * @param memoryBytes memory limit, also used as the memory-plus-swap limit: the instance shape's,
 *     else the configured default
 * @param nanoCpus CPU limit: the instance shape's, else the configured default
 * @param networkMode the container's network; the engine's default when empty
 * @param hardening privileges, process count and capabilities the container is confined to
 */
public record ContainerSpec(
    String name,
    String image,
    Map<String, String> labels,
    List<String> cmd,
    List<String> env,
    String workingDir,
    List<String> binds,
    OptionalLong memoryBytes,
    OptionalLong nanoCpus,
    Optional<String> networkMode,
    ContainerHardening hardening) {

  public ContainerSpec {
    labels = Map.copyOf(labels);
    cmd = List.copyOf(cmd);
    env = List.copyOf(env);
    binds = List.copyOf(binds);
  }

  /** The env without values, for messages: the values may be secret. */
  @Override
  public String toString() {
    return "ContainerSpec[name="
        + name
        + ", image="
        + image
        + ", cmd="
        + cmd
        + ", env="
        + env.stream().map(assignment -> assignment.split("=", 2)[0]).toList()
        + ", binds="
        + binds
        + "]";
  }
}
