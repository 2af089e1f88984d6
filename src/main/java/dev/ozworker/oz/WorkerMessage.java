package dev.ozworker.oz;

/** What a worker sends the Oz server. */
public sealed interface WorkerMessage extends OzMessage
    permits TaskClaimed, TaskRejected, TaskCompleted, TaskFailed {}
