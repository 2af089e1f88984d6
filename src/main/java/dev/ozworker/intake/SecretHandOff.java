package dev.ozworker.intake;

import io.fabric8.kubernetes.api.model.Secret;

/**
 * What the intake tells the controller of a task's Secret while it stores the task. The AgentTask
 * is created first and the Secret after it, owned by it from its first write (no patch to own it
 * later), so the controller may see the task before its Secret exists: told that the Secret is on
 * its way, it waits for it without writing anything.
 */
public interface SecretHandOff {
  /** The Secret of task {@code taskName} is about to be created. */
  void expected(String namespace, String taskName, String secretName);

  /** The Secret as the API server answered its creation. */
  void created(Secret secret);

  /** The Secret expected will not come from the intake (its task was not stored). */
  void abandoned(String namespace, String secretName);
}
