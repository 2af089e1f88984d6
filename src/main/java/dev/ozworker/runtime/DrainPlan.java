package dev.ozworker.runtime;

import java.time.Duration;
import java.time.Instant;

/**
 * When each step of a graceful shutdown must be done, so that the worker exits before Kubernetes
 * kills it ({@code shutdown_grace_period} after SIGTERM):
 *
 * <pre>
 *   margin         = min(5s, grace / 5)                      flushing results, closing the link
 *   stopGrace      = min(cancel_grace_period, (grace - margin) / 4)
 *   finishBy       = signal + grace - margin - 2 * stopGrace  running tasks may finish until here
 *   stoppedBy      = signal + grace - margin                  SIGTERM, SIGKILL after stopGrace,
 *                                                              teardown in the next stopGrace
 *   flushedBy      = signal + grace - margin / 2              every result sent; then close (1000)
 * </pre>
 *
 * With the defaults (30s and 30s) tasks get 12.5s to finish, then 6.25s to stop and 6.25s for
 * teardown, and 2.5s are left for results.
 *
 * @param stopGrace time between SIGTERM and SIGKILL for a task stopped by the shutdown
 */
record DrainPlan(Instant finishBy, Instant stoppedBy, Instant flushedBy, Duration stopGrace) {
  static final Duration MAX_MARGIN = Duration.ofSeconds(5);

  static DrainPlan of(Instant signalled, Duration grace, Duration cancelGracePeriod) {
    Duration margin = min(MAX_MARGIN, grace.dividedBy(5));
    Duration stopping = grace.minus(margin);
    Duration stopGrace = min(cancelGracePeriod, stopping.dividedBy(4));
    return new DrainPlan(
        signalled.plus(stopping).minus(stopGrace.multipliedBy(2)),
        signalled.plus(stopping),
        signalled.plus(grace).minus(margin.dividedBy(2)),
        stopGrace);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
