package dev.ozworker.task;

/** An image whose filesystem is mounted into the task's container at {@code mountPath}. */
public record Sidecar(String image, String mountPath, boolean readWrite) {}
