package dev.ozworker.oz;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * How long to wait before dialling Oz again: exponential with full jitter, so a fleet of workers
 * that lost the server at once does not return in step. A connection that died young counts as a
 * failure (no tight loop against a flapping server); one that stayed up for a healthy while starts
 * the sequence over. Not thread-safe: the link's connect loop owns it.
 */
final class Backoff {
  private final LinkTimings timings;
  private final RandomGenerator random;
  private int failures;

  Backoff(LinkTimings timings, RandomGenerator random) {
    this.timings = timings;
    this.random = random;
  }

  /** The wait after a dial that failed. */
  Duration afterFailedDial() {
    return next();
  }

  /** The wait after a connection that was up for {@code uptime} closed. */
  Duration afterClose(Duration uptime) {
    if (uptime.compareTo(timings.healthyAfter()) >= 0) {
      failures = 0;
      return Duration.ZERO;
    }
    if (uptime.compareTo(timings.youngDeath()) < 0) {
      return next();
    }
    // Up for a while but not healthy long enough to forget earlier trouble: retry soon, and let
    // the next failure continue the sequence.
    return jitter(timings.firstRetry());
  }

  /** The wait after the server refused the API key: slow, it will not fix itself quickly. */
  Duration afterAuthRefused() {
    failures++;
    Duration slow = timings.authRetry();
    return slow.dividedBy(2).plus(jitter(slow.dividedBy(2)));
  }

  private Duration next() {
    Duration ceiling = timings.firstRetry();
    for (int i = 0; i < failures && ceiling.compareTo(timings.maxRetry()) < 0; i++) {
      ceiling = ceiling.multipliedBy(2);
    }
    if (ceiling.compareTo(timings.maxRetry()) > 0) {
      ceiling = timings.maxRetry();
    }
    failures++;
    return jitter(ceiling);
  }

  private Duration jitter(Duration ceiling) {
    long millis = ceiling.toMillis();
    return millis <= 0 ? Duration.ZERO : Duration.ofMillis(random.nextLong(millis + 1));
  }
}
