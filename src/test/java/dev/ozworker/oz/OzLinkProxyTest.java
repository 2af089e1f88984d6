package dev.ozworker.oz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.config.ApiKey;
import dev.ozworker.observe.TestMetrics;
import dev.ozworker.oz.fake.ConnectProxy;
import dev.ozworker.oz.fake.FakeOzServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The link to Oz goes through the proxy the environment names. The worker, like the reference,
 * never proxies a loopback name, so the link dials a name no resolver knows; only the proxy, which
 * tunnels every CONNECT to loopback, can reach the local Oz with it.
 */
class OzLinkProxyTest {
  static final String KEY = "wk-proxy-key-77c1";
  static final String NAME = "oz.proxied.test";

  @Test
  void theLinkReachesOzThroughTheHttpProxyTheEnvironmentNames() throws Exception {
    try (FakeOzServer oz = FakeOzServer.start(KEY);
        ConnectProxy proxy = ConnectProxy.start()) {
      int port = oz.webSocketUrl().getPort();
      URI viaName = URI.create("ws://" + NAME + ":" + port + FakeOzServer.PATH);
      EnvironmentProxies proxies =
          EnvironmentProxies.of(Map.of("http_proxy", "127.0.0.1:" + proxy.port()));

      try (OzLink link = link(viaName, proxies)) {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> oz.isConnected("w-proxy") && link.isConnected());
      }

      assertThat(proxy.targets()).first().isEqualTo(NAME + ":" + port);
    }
  }

  private static OzLink link(URI url, EnvironmentProxies proxies) {
    OzLink link =
        new OzLink(
            url,
            "w-proxy",
            new ApiKey(KEY),
            LinkTimings.DEFAULT,
            Clock.systemUTC(),
            RandomGenerator.getDefault(),
            TestMetrics.create(),
            proxies);
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
