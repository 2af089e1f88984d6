package dev.ozworker.backend;

import dev.ozworker.api.BackendRef;

/**
 * Hears what happens to one run. Called from backend threads; implementations hand the news over
 * and return quickly.
 */
public interface TaskListener {

  /**
   * The backend learned where the run lives after {@link Backend#start} returned (the container's
   * id once created, the agent's process id once spawned). The controller stores it in the status,
   * so {@code kubectl} shows it and a restarted worker looks there first. Backends that return the
   * full reference from {@code start} need not call it.
   */
  default void located(BackendRef ref) {}

  /** The agent is running: its container or process has started. */
  void running();

  /** The run is over. Called once. */
  void finished(TaskOutcome outcome);
}
