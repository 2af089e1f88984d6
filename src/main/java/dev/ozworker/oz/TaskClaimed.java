package dev.ozworker.oz;

/** The worker has stored the task and will run it. */
public record TaskClaimed(String taskId, String workerId) implements WorkerMessage {}
