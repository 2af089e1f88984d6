package dev.ozworker.api;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

/** The owner reference that makes a resource go with its AgentTask (garbage collection). */
public final class OwnedByTask {
  private OwnedByTask() {}

  /** {@code task} as the controlling owner of what carries this reference. */
  public static OwnerReference reference(AgentTask task) {
    return new OwnerReferenceBuilder()
        .withApiVersion(task.getApiVersion())
        .withKind(task.getKind())
        .withName(task.getMetadata().getName())
        .withUid(task.getMetadata().getUid())
        .withController(true)
        .build();
  }
}
