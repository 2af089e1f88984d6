package dev.ozworker.security;

import dev.ozworker.config.ApiKey;
import dev.ozworker.observe.TestMetrics;
import dev.ozworker.oz.LinkListener;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.OzLink;
import dev.ozworker.oz.ServerMessage;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.random.RandomGenerator;

/** A link to Oz that redials within milliseconds, for the transport item's log lines. */
final class TransportLink {
  static final String API_KEY = "wk-transport-key";

  private TransportLink() {}

  /** A started link to {@code url} as {@code workerId}; close it. */
  static OzLink open(URI url, String workerId) {
    LinkTimings quick =
        new LinkTimings(
            Duration.ofSeconds(5),
            Duration.ofSeconds(10),
            Duration.ofSeconds(2),
            Duration.ofSeconds(2),
            Duration.ofMillis(20),
            Duration.ofMillis(100),
            Duration.ofMillis(10),
            Duration.ofSeconds(5),
            Duration.ofMillis(100));
    OzLink link =
        new OzLink(
            url,
            workerId,
            new ApiKey(API_KEY),
            quick,
            Clock.systemUTC(),
            RandomGenerator.getDefault(),
            TestMetrics.create());
    link.start(
        new LinkListener() {
          @Override
          public void connected() {}

          @Override
          public void received(ServerMessage message) {}
        });
    return link;
  }
}
