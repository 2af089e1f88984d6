package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import dev.ozworker.oz.fake.FakeOzServer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends to one worker through the fake Oz server across the reconnects that hostile frames may
 * cause: a send made while the worker is away waits for it to come back, and {@link #roundTrip}
 * waits until the worker has read everything sent before.
 */
final class FaultLink {
  /** Probe ids hold a path separator, so the worker fails them at once and stores nothing. */
  private static final String PROBE = "probe/";

  private static final Duration WAIT = Duration.ofSeconds(60);

  private final FakeOzServer oz;
  private final String workerId;
  private final AtomicInteger probes = new AtomicInteger();

  FaultLink(FakeOzServer oz, String workerId) {
    this.oz = oz;
    this.workerId = workerId;
  }

  /** Runs {@code send} once the worker is connected; again if it left meanwhile. */
  void send(Runnable send) {
    if (oz.isConnected(workerId)) {
      try {
        send.run();
        return;
      } catch (IllegalStateException notConnected) {
        // left between the check and the send: wait for it below
      }
    }
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              if (!oz.isConnected(workerId)) {
                return false;
              }
              try {
                send.run();
                return true;
              } catch (IllegalStateException notConnected) {
                return false;
              }
            });
  }

  /**
   * Sends an assignment the worker must fail at once and waits for the failure: frames are read in
   * order, so once it comes every frame before it was read. Sent again on each new connection, as a
   * connection that was closing may have swallowed it.
   */
  void roundTrip() {
    String probe = PROBE + probes.incrementAndGet();
    int[] sentOn = {-1};
    await()
        .atMost(WAIT)
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              if (!oz.framesAbout(probe, "task_failed").isEmpty()) {
                return true;
              }
              int connection = oz.connections(workerId);
              if (oz.isConnected(workerId) && connection != sentOn[0]) {
                try {
                  oz.assign(workerId, dev.ozworker.oz.fake.OzAssignments.assignment(probe));
                  sentOn[0] = connection;
                } catch (IllegalStateException notConnected) {
                  // gone again: the next poll sends on the next connection
                }
              }
              return false;
            });
  }

  boolean isProbe(String taskId) {
    return taskId.startsWith(PROBE);
  }
}
