package dev.ozworker.fault;

/**
 * Where in a task's life the worker is killed: each is reached by a real signal (a stored
 * AgentTask, a file a script wrote, a status the worker wrote), never by waiting a while.
 */
enum KillPoint {
  /** The AgentTask was stored; the claim may or may not have gone out. */
  STORED,
  /** Setup runs (Direct: the setup command wrote its marker; Docker: the phase is Preparing). */
  PREPARING,
  /** The agent runs (it recorded its start). */
  RUNNING,
  /** The agent exited and the status says so, but Oz refused connections: nothing reported. */
  EXITED_UNREPORTED,
  /** The result is known and teardown runs (Direct: the teardown wrote its marker). */
  TEARDOWN
}
