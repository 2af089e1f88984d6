package dev.ozworker.oz;

/** Oz asks the worker to cancel a task it claimed. Unknown ids are logged and ignored. */
public record TaskCancellation(String taskId) implements ServerMessage {}
