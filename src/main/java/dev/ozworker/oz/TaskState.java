package dev.ozworker.oz;

/** Terminal task states the server accepts in {@code task_state}. */
public enum TaskState {
  CANCELLED
}
