package dev.ozworker.fault;

/** Docker engines of the fault suite. */
final class FaultDockerd {
  /** The machine's shared engine: used, never restarted. */
  static final String SHARED =
      System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");

  private FaultDockerd() {}
}
