package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.task.IntakeProof;

/**
 * Where an AgentTask came from: from Oz, stored by the intake with its proof, or written by hand.
 * Only the proof decides; a {@code spec.taskId} or a label anyone can write does not.
 */
final class TaskOrigin {
  private TaskOrigin() {}

  /** Whether the intake stored {@code task}, so that it runs and is reported as Oz's. */
  static boolean fromOz(IntakeProof proof, AgentTask task) {
    var metadata = task.getMetadata();
    return proof.storedTask(
        metadata.getNamespace(), metadata.getName(), metadata.getAnnotations(), task.getSpec());
  }
}
