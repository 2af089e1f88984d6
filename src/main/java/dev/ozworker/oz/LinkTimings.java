package dev.ozworker.oz;

import java.time.Duration;

/**
 * The clocks of the link to Oz. Production uses {@link #DEFAULT}; tests shorten them.
 *
 * @param pingInterval how often the worker pings the server
 * @param deadAfter a connection that heard nothing (no frame, no pong) for this long is dropped
 * @param writeDeadline longest a single frame may take to write before the connection is dropped
 * @param connectTimeout longest the opening handshake may take
 * @param firstRetry the first reconnect wait's upper bound; it doubles per failed attempt
 * @param maxRetry the reconnect wait's upper bound
 * @param youngDeath a connection that dies sooner than this counts as a failed attempt
 * @param healthyAfter a connection up this long resets the backoff
 * @param authRetry the wait after the server refused the API key (401/403)
 */
public record LinkTimings(
    Duration pingInterval,
    Duration deadAfter,
    Duration writeDeadline,
    Duration connectTimeout,
    Duration firstRetry,
    Duration maxRetry,
    Duration youngDeath,
    Duration healthyAfter,
    Duration authRetry) {

  public static final LinkTimings DEFAULT =
      new LinkTimings(
          Duration.ofSeconds(30),
          Duration.ofSeconds(60),
          Duration.ofSeconds(10),
          Duration.ofSeconds(30),
          Duration.ofSeconds(1),
          Duration.ofSeconds(60),
          Duration.ofSeconds(10),
          Duration.ofSeconds(60),
          Duration.ofSeconds(60));
}
