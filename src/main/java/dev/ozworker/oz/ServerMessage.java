package dev.ozworker.oz;

/** What the Oz server sends a worker. */
public sealed interface ServerMessage extends OzMessage permits TaskAssignment, TaskCancellation {}
