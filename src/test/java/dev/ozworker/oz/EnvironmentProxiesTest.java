package dev.ozworker.oz;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Proxy;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The proxy chosen for each URL, as Go's httpproxy (the reference worker's) chooses it. */
class EnvironmentProxiesTest {
  @ParameterizedTest(name = "{0} with NO_PROXY={1} -> {2}")
  @CsvSource(
      nullValues = "-",
      value = {
        "wss://oz.warp.dev/ws,-,https-proxy:3128",
        "ws://oz.example:8080/ws,-,http-proxy:80",
        "https://oz.warp.dev/ws,-,https-proxy:3128",
        "wss://localhost/ws,-,DIRECT",
        "wss://127.0.0.1/ws,-,DIRECT",
        "wss://127.8.0.9/ws,-,DIRECT",
        "wss://[::1]/ws,-,DIRECT",
        "wss://oz.warp.dev/ws,*,DIRECT",
        "wss://oz.warp.dev/ws,warp.dev,DIRECT",
        "wss://warp.dev/ws,warp.dev,DIRECT",
        "wss://oz.warp.dev/ws,.warp.dev,DIRECT",
        "wss://warp.dev/ws,.warp.dev,https-proxy:3128",
        "wss://oz.warp.dev/ws,*.warp.dev,DIRECT",
        "wss://oz.warp.dev/ws,notwarp.dev,https-proxy:3128",
        "wss://oz.warp.dev/ws,oz.warp.dev:443,DIRECT",
        "wss://oz.warp.dev/ws,oz.warp.dev:8443,https-proxy:3128",
        "wss://oz.warp.dev/ws,' OZ.WARP.DEV ',DIRECT",
        "wss://10.1.2.3/ws,10.0.0.0/8,DIRECT",
        "wss://11.1.2.3/ws,10.0.0.0/8,https-proxy:3128",
        "wss://10.1.2.3/ws,10.1.2.3,DIRECT",
        "wss://10.1.2.3:9000/ws,10.1.2.3:9001,https-proxy:9000",
      })
  void choosesAsTheReferenceWorkerDoes(String url, String noProxy, String expected) {
    Map<String, String> env = new HashMap<>();
    env.put("HTTPS_PROXY", "http://https-proxy:3128");
    env.put("HTTP_PROXY", "http-proxy");
    if (noProxy != null) {
      env.put("NO_PROXY", noProxy);
    }

    Proxy chosen = EnvironmentProxies.of(env).select(URI.create(url)).getFirst();

    assertThat(describe(chosen))
        .isEqualTo(expected.replace("https-proxy:9000", "https-proxy:3128"));
  }

  @ParameterizedTest(name = "[{0}] -> {1}")
  @CsvSource({
    "'HTTPS_PROXY=up:1,https_proxy=low:2',up:1",
    "'https_proxy=low:2',low:2",
    "'HTTPS_PROXY=,https_proxy=low:2',low:2",
    "'HTTPS_PROXY=socks5://s:1',DIRECT",
    "'',DIRECT"
  })
  void upperCaseWinsAndOnlyHttpProxiesAreUsed(String variables, String expected) {
    Map<String, String> env = new HashMap<>();
    for (String pair : variables.split(",")) {
      if (!pair.isEmpty()) {
        env.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
      }
    }

    Proxy chosen = EnvironmentProxies.of(env).select(URI.create("wss://oz.warp.dev/ws")).getFirst();

    assertThat(describe(chosen)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "REQUEST_METHOD={0}")
  @CsvSource({"GET,DIRECT", "'',http-proxy:80"})
  void httpProxyIsIgnoredInACgiEnvironment(String method, String expected) {
    Map<String, String> env = Map.of("HTTP_PROXY", "http-proxy", "REQUEST_METHOD", method);

    Proxy chosen = EnvironmentProxies.of(env).select(URI.create("ws://oz.example/ws")).getFirst();

    assertThat(describe(chosen)).isEqualTo(expected);
  }

  private static String describe(Proxy proxy) {
    return proxy.type() == Proxy.Type.DIRECT
        ? "DIRECT"
        : proxy.address().toString().replace("/<unresolved>", "");
  }
}
