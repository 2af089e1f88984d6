package dev.ozworker.oz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.FailureReason;
import dev.ozworker.config.ApiKey;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.observe.TestMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A server that completes the handshake and then stops reading, as a wedged peer does: a write that
 * cannot finish within the deadline fails, the connection is dropped, and the link dials again.
 */
class OzLinkWriteDeadlineTest {
  static final Duration DEADLINE = Duration.ofSeconds(1);
  static final Pattern KEY = Pattern.compile("(?im)^Sec-WebSocket-Key:\\s*(\\S+)\\s*$");

  @Test
  void aWriteThatMissesItsDeadlineDropsTheConnectionAndTheLinkDialsAgain() throws Exception {
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    try (LogCapture logs = LogCapture.start();
        ServerSocket server = new ServerSocket()) {
      server.setReceiveBufferSize(4096);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread acceptor =
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (!server.isClosed()) {
                      try {
                        Socket socket = server.accept();
                        accepted.add(socket);
                        handshakeThenStopReading(socket);
                      } catch (IOException | RuntimeException e) {
                        return; // closed at the end of the test
                      }
                    }
                  });
      LinkTimings timings =
          new LinkTimings(
              Duration.ofMinutes(1),
              Duration.ofMinutes(2),
              DEADLINE,
              Duration.ofSeconds(2),
              Duration.ofMillis(10),
              Duration.ofMillis(50),
              Duration.ofMillis(10),
              Duration.ofMinutes(1),
              Duration.ofSeconds(1));
      URI url = URI.create("ws://127.0.0.1:" + server.getLocalPort() + "/ws");
      try (OzLink link =
          new OzLink(
              url,
              "w-wedged",
              new ApiKey("k"),
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
        await().atMost(Duration.ofSeconds(10)).until(link::isConnected);

        // Far more than the socket buffers of both ends hold, so the write cannot finish.
        String huge = "x".repeat(32 << 20);
        CompletableFuture<Void> write =
            link.send(new TaskFailed("t", huge, FailureReason.UNKNOWN, 0));

        assertThat(write)
            .failsWithin(Duration.ofSeconds(10))
            .withThrowableThat()
            .isInstanceOf(ExecutionException.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> accepted.size() >= 2);
        assertThat(logs.text()).contains("a write did not finish within 1000 ms");
        assertThat(link.send(TaskCompleted.succeeded("t")))
            .as("a frame for the new connection")
            .succeedsWithin(Duration.ofSeconds(10));
      } finally {
        server.close();
        for (Socket socket : accepted) {
          socket.close();
        }
        acceptor.join(TimeUnit.SECONDS.toMillis(5));
      }
    }
  }

  /** Answers the upgrade as a WebSocket server would, then never reads another byte. */
  private static void handshakeThenStopReading(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder request = new StringBuilder();
    while (!request.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return;
      }
      request.append((char) b);
    }
    Matcher key = KEY.matcher(request);
    if (!key.find()) {
      return;
    }
    OutputStream out = socket.getOutputStream();
    out.write(
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: "
                + accept(key.group(1))
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private static String accept(String key) {
    try {
      byte[] sha1 =
          MessageDigest.getInstance("SHA-1")
              .digest(
                  (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                      .getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
