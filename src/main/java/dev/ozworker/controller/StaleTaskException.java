package dev.ozworker.controller;

/**
 * A status write was refused because the task changed since the copy it was decided from was read.
 * The reconcile ends without acting on that copy; the newer version brings a new reconcile, which
 * decides again.
 */
final class StaleTaskException extends RuntimeException {
  StaleTaskException(String task) {
    super("AgentTask " + task + " changed since it was read", null, false, false);
  }
}
