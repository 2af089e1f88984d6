package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.task.TaskObject;
import java.util.Objects;

/** The identity of a stored AgentTask, as task resolution takes it. */
final class TaskObjects {
  private TaskObjects() {}

  static TaskObject of(AgentTask task) {
    var metadata = task.getMetadata();
    return new TaskObject(
        Objects.requireNonNullElse(metadata.getNamespace(), ""),
        metadata.getName(),
        Objects.requireNonNullElse(metadata.getUid(), ""),
        EnvSecrets.secretName(task));
  }
}
