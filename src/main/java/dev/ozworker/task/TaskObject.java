package dev.ozworker.task;

import java.util.Optional;

/**
 * The AgentTask a run belongs to, as a backend that makes Kubernetes objects for the run needs it:
 * to put them beside the task, make the task their owner and name the task's Secret.
 *
 * @param namespace the AgentTask's namespace; empty when the task is not stored
 * @param name the AgentTask's name
 * @param uid the AgentTask's uid; empty when the task is not stored
 * @param envSecret the Secret holding the task's environment ({@code spec.envFrom}), if it names
 *     one
 */
public record TaskObject(String namespace, String name, String uid, Optional<String> envSecret) {

  /** A task known only by its name, as in tests of backends that make no Kubernetes objects. */
  public static TaskObject named(String name) {
    return new TaskObject("", name, "", Optional.empty());
  }
}
