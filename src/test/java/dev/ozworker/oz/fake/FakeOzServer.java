package dev.ozworker.oz.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.server.WebSocketServer;

/**
 * The Oz side of the worker link, on loopback: it accepts workers that present the expected API key
 * and a {@code worker_id}, sends them messages, and records every text frame they send back.
 *
 * <p>Handshakes are checked as Oz checks them ({@code Authorization: Bearer <key>} on the upgrade
 * of {@link #PATH}, a non-empty {@code worker_id} query parameter); a refused handshake is recorded
 * with its reason so that a test can say why a worker never connected.
 */
public final class FakeOzServer implements AutoCloseable {
  public static final String PATH = "/api/v1/selfhosted/worker/ws";

  /** A text frame a worker sent, split into the envelope's {@code type} and {@code data}. */
  public record Frame(String workerId, String type, JsonNode data) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String apiKey;
  private final Endpoint endpoint = new Endpoint();
  private final CountDownLatch started = new CountDownLatch(1);
  private final Map<String, WebSocket> workers = new ConcurrentHashMap<>();
  private final List<Frame> received = new CopyOnWriteArrayList<>();
  private final List<String> refusedHandshakes = new CopyOnWriteArrayList<>();
  private volatile Exception startFailure;

  private FakeOzServer(String apiKey) {
    this.apiKey = apiKey;
  }

  /**
   * Starts a server on an ephemeral loopback port that accepts workers presenting {@code apiKey}.
   */
  public static FakeOzServer start(String apiKey) throws InterruptedException {
    FakeOzServer server = new FakeOzServer(apiKey);
    server.endpoint.setReuseAddr(true);
    server.endpoint.setDaemon(true);
    server.endpoint.start();
    if (!server.started.await(10, TimeUnit.SECONDS) || server.startFailure != null) {
      server.close();
      throw new IllegalStateException("fake Oz server did not start", server.startFailure);
    }
    return server;
  }

  /** The URL a worker dials, without {@code worker_id} (the worker adds it). */
  public URI webSocketUrl() {
    return URI.create("ws://127.0.0.1:" + endpoint.getPort() + PATH);
  }

  public boolean isConnected(String workerId) {
    WebSocket socket = workers.get(workerId);
    return socket != null && socket.isOpen();
  }

  /** Sends {@code {"type": type, "data": data}} as one text frame to a connected worker. */
  public void send(String workerId, String type, JsonNode data) {
    WebSocket socket = workers.get(workerId);
    if (socket == null || !socket.isOpen()) {
      throw new IllegalStateException("worker " + workerId + " is not connected");
    }
    ObjectNode envelope = JSON.createObjectNode().put("type", type);
    envelope.set("data", data);
    try {
      socket.send(JSON.writeValueAsString(envelope));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every frame received so far, in arrival order. */
  public List<Frame> received() {
    return List.copyOf(received);
  }

  public List<Frame> receivedFrom(String workerId) {
    return received.stream().filter(frame -> frame.workerId().equals(workerId)).toList();
  }

  /** Why handshakes were refused (wrong path, key or worker id), in order. */
  public List<String> refusedHandshakes() {
    return List.copyOf(refusedHandshakes);
  }

  @Override
  public void close() throws InterruptedException {
    endpoint.stop(1000);
  }

  private Optional<String> refusal(ClientHandshake request) {
    URI uri = URI.create(request.getResourceDescriptor());
    if (!PATH.equals(uri.getPath())) {
      return Optional.of("path " + uri.getPath() + " is not " + PATH);
    }
    if (!("Bearer " + apiKey).equals(request.getFieldValue("Authorization"))) {
      return Optional.of("Authorization is not Bearer with the expected API key");
    }
    if (workerId(request).isEmpty()) {
      return Optional.of("no worker_id query parameter");
    }
    return Optional.empty();
  }

  private static String workerId(ClientHandshake request) {
    String query = URI.create(request.getResourceDescriptor()).getRawQuery();
    if (query == null) {
      return "";
    }
    for (String pair : query.split("&")) {
      String[] keyValue = pair.split("=", 2);
      if (keyValue.length == 2 && keyValue[0].equals("worker_id")) {
        return URLDecoder.decode(keyValue[1], StandardCharsets.UTF_8);
      }
    }
    return "";
  }

  private void record(WebSocket socket, String text) {
    String workerId = socket.<String>getAttachment();
    try {
      JsonNode message = JSON.readTree(text);
      received.add(
          new Frame(workerId, message.path("type").asText(), message.path("data").deepCopy()));
    } catch (IOException e) {
      received.add(new Frame(workerId, "<not JSON>", NullNode.getInstance()));
    }
  }

  /** The library's server, kept private so that tests see only the Oz-shaped API above. */
  private final class Endpoint extends WebSocketServer {
    Endpoint() {
      super(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @Override
    public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(
        WebSocket socket, Draft draft, ClientHandshake request) throws InvalidDataException {
      Optional<String> refusal = refusal(request);
      if (refusal.isPresent()) {
        refusedHandshakes.add(refusal.get());
        throw new InvalidDataException(CloseFrame.POLICY_VALIDATION, refusal.get());
      }
      return super.onWebsocketHandshakeReceivedAsServer(socket, draft, request);
    }

    @Override
    public void onOpen(WebSocket socket, ClientHandshake handshake) {
      String workerId = workerId(handshake);
      socket.setAttachment(workerId);
      workers.put(workerId, socket);
    }

    @Override
    public void onClose(WebSocket socket, int code, String reason, boolean remote) {
      String workerId = socket.<String>getAttachment();
      if (workerId != null) {
        workers.remove(workerId, socket);
      }
    }

    @Override
    public void onMessage(WebSocket socket, String text) {
      record(socket, text);
    }

    @Override
    public void onError(WebSocket socket, Exception error) {
      // Without a socket the server itself failed (it could not bind); a worker dropping its
      // connection is part of what tests exercise, and that socket closes itself.
      if (socket == null) {
        startFailure = error;
        started.countDown();
      }
    }

    @Override
    public void onStart() {
      started.countDown();
    }
  }
}
