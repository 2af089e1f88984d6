package dev.ozworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiServerClientTest {
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void withoutATokenTheConfigurationIsReadAtMostOnceAMinute() {
    CountingConfig config = new CountingConfig(null);
    MovingClock clock = new MovingClock();
    var refresh = new ApiServerClient.TimedTokenRefresh(config, new JdkHttpClientFactory(), clock);

    clock.move(Duration.ofMinutes(2));
    for (int request = 0; request < 5; request++) {
      refresh.before(new Headers(), null, NO_TAGS);
    }
    assertThat(config.refreshes).as("requests in the same minute").isEqualTo(1);

    clock.move(Duration.ofSeconds(59));
    refresh.before(new Headers(), null, NO_TAGS);
    assertThat(config.refreshes).isEqualTo(1);

    clock.move(Duration.ofSeconds(2));
    refresh.before(new Headers(), null, NO_TAGS);
    assertThat(config.refreshes).as("a minute after the last look").isEqualTo(2);
  }

  @Test
  void aTokenIsSentWithEveryRequest() {
    CountingConfig config = new CountingConfig("the-token");
    MovingClock clock = new MovingClock();
    var refresh = new ApiServerClient.TimedTokenRefresh(config, new JdkHttpClientFactory(), clock);

    Headers headers = new Headers();
    refresh.before(headers, null, NO_TAGS);

    assertThat(headers.set).containsEntry("Authorization", "Bearer the-token");
  }

  private static final Interceptor.RequestTags NO_TAGS =
      new Interceptor.RequestTags() {
        @Override
        public <T> T getTag(Class<T> type) {
          return null;
        }
      };

  /** A configuration that counts how often it is read again, and finds nothing new. */
  private static final class CountingConfig extends Config {
    int refreshes;

    CountingConfig(String token) {
      super(false);
      setMasterUrl("https://127.0.0.1:6443/");
      setAutoOAuthToken(token);
    }

    @Override
    public Config refresh() {
      refreshes++;
      return this;
    }
  }

  private static final class Headers implements BasicBuilder {
    final Map<String, String> set = new HashMap<>();

    @Override
    public BasicBuilder uri(URI uri) {
      return this;
    }

    @Override
    public BasicBuilder header(String name, String value) {
      set.put(name, value);
      return this;
    }

    @Override
    public BasicBuilder setHeader(String name, String value) {
      set.put(name, value);
      return this;
    }
  }

  private static final class MovingClock extends Clock {
    private Instant now = START;

    void move(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
