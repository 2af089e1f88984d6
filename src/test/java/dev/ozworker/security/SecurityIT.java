package dev.ozworker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.ConfigException;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.oz.OzLink;
import dev.ozworker.oz.fake.FakeOzServer;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The security review of 2026-12-05, one nested class per item: each test fails on the code the
 * review was made of and passes on the fix. Real API server (kube-local, skipped without
 * KUBECONFIG) and real Docker engine where the item needs them.
 */
class SecurityIT {
  static final Duration DEADLINE = Duration.ofSeconds(60);

  /** Item 1: authoring an AgentTask grants none of the worker's powers. */
  @Nested
  class AuthoringAnAgentTask {
    // item 1
  }

  /** Item 2: the shared sidecar volumes are never writable by a task. */
  @Nested
  class SharedSidecarVolumes {
    // item 2
  }

  /** Item 3: Docker task containers are hardened by default. */
  @Nested
  class DockerHardening {
    // item 3
  }

  /** Item 4: secrets reach no agent, hook or log by a side door. */
  @Nested
  class SecretSideDoors {
    // item 4
  }

  /** Item 5: what an agent on the Direct backend can reach of the worker. */
  @Nested
  class DirectExposure {
    // item 5
  }

  /** Item 6: transport to Oz. */
  @Nested
  class Transport {
    static final String URL_SECRET = "URLSECRET-6f1d";

    @Test
    void anUnencryptedLinkToAnotherHostIsRefusedUnlessExplicitlyAllowed() throws Exception {
      String remote = "ws://pool:" + URL_SECRET + "@oz.example.com/api/v1/selfhosted/worker/ws";

      assertThatThrownBy(
              () ->
                  WorkerConfigs.resolve(
                      "",
                      Map.of("WARP_API_KEY", "k"),
                      "--worker-id=w1",
                      "--web-socket-url=" + remote))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("--web-socket-url ws://oz.example.com/api/v1/selfhosted/worker/ws")
          .hasMessageContaining("use wss://")
          .hasMessageContaining("--allow-insecure-websocket")
          .message()
          .doesNotContain(URL_SECRET);
      assertThat(
              WorkerConfigs.resolve(
                      "",
                      Map.of("WARP_API_KEY", "k"),
                      "--worker-id=w1",
                      "--web-socket-url=" + remote,
                      "--allow-insecure-websocket")
                  .webSocketUrl())
          .hasToString(remote);
      assertThat(
              WorkerConfigs.resolve(
                      "",
                      Map.of("WARP_API_KEY", "k"),
                      "--worker-id=w1",
                      "--web-socket-url=ws://127.0.0.1:9/ws")
                  .webSocketUrl())
          .as("loopback, as every test dials")
          .hasToString("ws://127.0.0.1:9/ws");
    }

    @Test
    void theLinksLogLinesNeverCarryTheUrlsUserInformation() throws Exception {
      FakeOzServer oz = FakeOzServer.start(TransportLink.API_KEY);
      URI plain = oz.webSocketUrl();
      URI withUserInfo =
          URI.create(
              plain.getScheme()
                  + "://pool:"
                  + URL_SECRET
                  + "@"
                  + plain.getRawAuthority()
                  + plain.getRawPath());
      boolean serverClosed = false;
      try (LogCapture logs = LogCapture.start();
          OzLink link = TransportLink.open(withUserInfo, "w-transport")) {
        await().atMost(DEADLINE).until(() -> logs.text().contains("connected to Oz at"));
        oz.refuseConnections(true);
        oz.drop("w-transport");
        await()
            .atMost(DEADLINE)
            .until(() -> logs.text().contains("Oz refused the WebSocket upgrade at"));
        oz.close();
        serverClosed = true;
        await().atMost(DEADLINE).until(() -> logs.text().contains("cannot reach Oz at"));

        assertThat(logs.text())
            .contains("lost the connection to Oz", plain.getRawAuthority() + plain.getRawPath())
            .doesNotContain(URL_SECRET, "://pool");
      } finally {
        if (!serverClosed) {
          oz.close();
        }
      }
    }
  }
}
