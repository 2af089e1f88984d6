package dev.ozworker.oz;

/** The worker will not run the task; Oz keeps it queued for another worker. */
public record TaskRejected(String taskId, String reason) implements WorkerMessage {
  /** The reference worker's reason when it is at {@code max_concurrent_tasks}. */
  public static final String AT_CAPACITY = "worker at maximum concurrency";
}
