package dev.ozworker.oz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.ozworker.config.ApiKey;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.observe.TestMetrics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.random.RandomGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A server that refuses the key: a clear line per attempt, slow retries, the key never logged. */
class OzLinkAuthTest {
  static final String KEY = "wk-refused-key-51d0";
  static final Duration AUTH_RETRY = Duration.ofMillis(400);

  @ParameterizedTest
  @ValueSource(ints = {401, 403})
  void aRefusedKeyIsLoggedClearlyAndRetriedSlowly(int status) throws IOException {
    List<Long> attempts = new CopyOnWriteArrayList<>();
    List<String> authorizations = new CopyOnWriteArrayList<>();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          attempts.add(System.nanoTime());
          authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
    LinkTimings timings =
        new LinkTimings(
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            Duration.ofMillis(10),
            Duration.ofMillis(20),
            Duration.ofMillis(10),
            Duration.ofSeconds(5),
            AUTH_RETRY);
    URI url = URI.create("ws://127.0.0.1:" + server.getAddress().getPort() + "/ws");
    try (LogCapture logs = LogCapture.start();
        OzLink link =
            new OzLink(
                url,
                "w-auth",
                new ApiKey(KEY),
                timings,
                Clock.systemUTC(),
                RandomGenerator.getDefault(),
                TestMetrics.create())) {
      link.start(
          new LinkListener() {
            @Override
            public void connected() {}

            @Override
            public void received(ServerMessage message) {}
          });

      await().atMost(Duration.ofSeconds(10)).until(() -> attempts.size() >= 3);

      assertThat(link.isConnected()).isFalse();
      assertThat(authorizations).allMatch(("Bearer " + KEY)::equals);
      for (int i = 1; i < 3; i++) {
        assertThat(Duration.ofNanos(attempts.get(i) - attempts.get(i - 1)))
            .as("pause before attempt %d", i + 1)
            .isGreaterThanOrEqualTo(AUTH_RETRY.dividedBy(2));
      }
      List<String> refusals =
          logs.text().lines().filter(line -> line.contains("Oz refused the API key")).toList();
      assertThat(refusals).hasSizeGreaterThanOrEqualTo(2);
      assertThat(refusals.getFirst())
          .contains("HTTP " + status, "--api-key or WARP_API_KEY", "w-auth", "/ws");
      assertThat(logs.text()).doesNotContain(KEY);
    } finally {
      server.stop(0);
    }
  }
}
