package dev.ozworker.e2e;

import java.time.Duration;

/** The figures the end-to-end suite reports: one line per step, {@code e2e timing: <step> <ms>}. */
final class ClusterTimings {
  private ClusterTimings() {}

  static Duration print(String step, long startedNanos) {
    Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
    System.out.printf("e2e timing: %s %d ms%n", step, took.toMillis());
    return took;
  }
}
