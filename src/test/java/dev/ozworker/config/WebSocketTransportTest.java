package dev.ozworker.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WebSocketTransportTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "localhost",
        "LocalHost",
        "127.0.0.1",
        "127.8.9.10",
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
        "[0000::0001]",
        "[::0:1]"
      })
  void loopbackHostsAreThisMachine(String host) {
    assertThat(WebSocketTransport.isLoopback(host)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "oz.example.com",
        "localhost.example.com",
        "127.0.0.1.example.com",
        "128.0.0.1",
        "10.0.0.1",
        "0.0.0.0",
        "[::]",
        "[1::]",
        "[::2]",
        "[::1:1]",
        "[1:0:0:0:0:0:0:1]",
        "[::ffff:127.0.0.1]"
      })
  void otherHostsAreNot(String host) {
    assertThat(WebSocketTransport.isLoopback(host)).isFalse();
  }

  @Test
  void anUnencryptedUrlToAnotherHostIsRefusedNamingTheFlagAndTheFix() {
    assertThat(WebSocketTransport.problem(URI.create("ws://u:s3cret@oz.example.com/ws"), false))
        .hasValueSatisfying(
            problem ->
                assertThat(problem)
                    .contains(
                        "--web-socket-url ws://oz.example.com/ws",
                        "use wss://",
                        "--allow-insecure-websocket",
                        "allow_insecure_websocket: true")
                    .doesNotContain("s3cret"));
  }

  @ParameterizedTest
  @CsvSource({
    "ws://oz.example.com/ws, true",
    "wss://oz.example.com/ws, false",
    "ws://127.0.0.1:8080/ws, false",
    "ws://localhost:8080/ws, false",
    "ws://[::1]:8080/ws, false"
  })
  void encryptedLoopbackOrExplicitlyAllowedUrlsPass(String url, boolean allowed) {
    assertThat(WebSocketTransport.problem(URI.create(url), allowed)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "wss://user:pa55@oz.example.com/ws | wss://oz.example.com/ws",
        "ws://user@127.0.0.1:9/ws?x=a@b | ws://127.0.0.1:9/ws?x=a@b",
        "cannot reach \"ws://u:pa/ss@h:1/ws\": refused | cannot reach \"ws://h:1/ws\": refused",
        "https://app.warp.dev | https://app.warp.dev"
      })
  void userInformationIsNeverPrinted(String text, String printed) {
    assertThat(PrintableUrl.strip(text)).isEqualTo(printed);
  }
}
