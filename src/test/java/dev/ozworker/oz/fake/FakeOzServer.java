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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.java_websocket.WebSocket;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.TextFrame;
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

  /**
   * A text frame a worker sent, split into the envelope's {@code type} and {@code data}, with its
   * raw text, when it arrived ({@link System#nanoTime()}) and on which of the worker's connections
   * (1 for its first).
   */
  public record Frame(
      String workerId,
      String type,
      JsonNode data,
      String text,
      long receivedNanos,
      int connection) {
    public String taskId() {
      return data.path("task_id").asText();
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String apiKey;
  private final Endpoint endpoint = new Endpoint();
  private final CountDownLatch started = new CountDownLatch(1);
  private final Map<String, WebSocket> workers = new ConcurrentHashMap<>();
  private final List<Frame> received = new CopyOnWriteArrayList<>();
  private final List<String> refusedHandshakes = new CopyOnWriteArrayList<>();
  private final Map<String, List<Integer>> closeCodes = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
  private final Map<WebSocket, Integer> connectionNumbers = new ConcurrentHashMap<>();
  private final Map<String, List<Long>> assigned = new ConcurrentHashMap<>();
  private volatile Consumer<Frame> onFrame = frame -> {};
  private volatile Consumer<String> onConnect = workerId -> {};
  private volatile Consumer<String> onDisconnect = workerId -> {};
  private volatile boolean refusing;
  private volatile boolean silent;
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
    ObjectNode envelope = JSON.createObjectNode().put("type", type);
    envelope.set("data", data);
    String text;
    try {
      text = JSON.writeValueAsString(envelope);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    deliver(workerId, socket -> socket.send(text));
  }

  /**
   * Runs {@code check} on each frame as it arrives, before the next is read: what was true at that
   * moment (say, whether the AgentTask existed when the claim came) can be asserted later.
   */
  public void onFrame(Consumer<Frame> check) {
    this.onFrame = check;
  }

  /**
   * Calls {@code connected} with the worker id on the server's thread as each connection opens, so
   * a caller can time a worker's start to its connection without polling.
   */
  public void onConnect(Consumer<String> connected) {
    this.onConnect = connected;
  }

  /** Calls {@code disconnected} with the worker id on the server's thread as a connection ends. */
  public void onDisconnect(Consumer<String> disconnected) {
    this.onDisconnect = disconnected;
  }

  /** Sends {@code text} as it is, one text frame: garbage, huge or hand-written frames. */
  public void sendRaw(String workerId, String text) {
    deliver(workerId, socket -> socket.send(text));
  }

  /**
   * Sends {@code payload} as one text frame without checking it is UTF-8, as a broken server could:
   * the library refuses to encode such text itself.
   */
  public void sendTextBytes(String workerId, byte[] payload) {
    TextFrame frame = new TextFrame();
    frame.setPayload(ByteBuffer.wrap(payload));
    frame.setFin(true);
    deliver(workerId, socket -> socket.sendFrame(frame));
  }

  /** Sends a binary frame, which the protocol never uses. */
  public void sendBinary(String workerId, byte[] bytes) {
    deliver(workerId, socket -> socket.send(bytes));
  }

  /** Sends a task assignment. */
  public void assign(String workerId, JsonNode data) {
    send(workerId, "task_assignment", data);
    assigned
        .computeIfAbsent(data.path("task_id").asText(), id -> new CopyOnWriteArrayList<>())
        .add(System.nanoTime());
  }

  /** When {@link #assign} sent assignments of {@code taskId} ({@link System#nanoTime()}). */
  public List<Long> assignedAt(String taskId) {
    return List.copyOf(assigned.getOrDefault(taskId, List.of()));
  }

  /** Sends a cancellation of {@code taskId}. */
  public void cancel(String workerId, String taskId) {
    send(workerId, "task_cancellation", JSON.createObjectNode().put("task_id", taskId));
  }

  /** Cuts a worker's connection without a closing handshake, as a lost network would. */
  public void drop(String workerId) {
    socket(workerId).closeConnection(CloseFrame.ABNORMAL_CLOSE, "dropped by the test");
  }

  /** While true, every handshake is refused, as by a server that is down for maintenance. */
  public void refuseConnections(boolean refuse) {
    this.refusing = refuse;
  }

  /** While true, pings go unanswered, as on a half-open connection. */
  public void goSilent(boolean silent) {
    this.silent = silent;
  }

  /** How many connections {@code workerId} has opened so far. */
  public int connections(String workerId) {
    AtomicInteger count = connections.get(workerId);
    return count == null ? 0 : count.get();
  }

  /** The frames of one type a worker sent about {@code taskId}, in arrival order. */
  public List<Frame> framesAbout(String taskId, String type) {
    return received.stream()
        .filter(frame -> frame.type().equals(type) && frame.taskId().equals(taskId))
        .toList();
  }

  /** Every frame received so far, in arrival order. */
  public List<Frame> received() {
    return List.copyOf(received);
  }

  public List<Frame> receivedFrom(String workerId) {
    return received.stream().filter(frame -> frame.workerId().equals(workerId)).toList();
  }

  /** The close codes of {@code workerId}'s connections that ended, in order. */
  public List<Integer> closeCodes(String workerId) {
    return List.copyOf(closeCodes.getOrDefault(workerId, List.of()));
  }

  /** Why handshakes were refused (wrong path, key or worker id), in order. */
  public List<String> refusedHandshakes() {
    return List.copyOf(refusedHandshakes);
  }

  /**
   * Sends on the worker's connection; a connection that closes between the check and the send is
   * reported as not connected, like one that was closed before.
   */
  private void deliver(String workerId, Consumer<WebSocket> send) {
    try {
      send.accept(socket(workerId));
    } catch (WebsocketNotConnectedException e) {
      throw new IllegalStateException("worker " + workerId + " is not connected", e);
    }
  }

  private WebSocket socket(String workerId) {
    WebSocket socket = workers.get(workerId);
    if (socket == null || !socket.isOpen()) {
      throw new IllegalStateException("worker " + workerId + " is not connected");
    }
    return socket;
  }

  @Override
  public void close() throws InterruptedException {
    endpoint.stop(1000);
  }

  private Optional<String> refusal(ClientHandshake request) {
    if (refusing) {
      return Optional.of("refusing connections");
    }
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
      Frame frame =
          new Frame(
              workerId,
              message.path("type").asText(),
              message.path("data").deepCopy(),
              text,
              System.nanoTime(),
              connectionNumbers.getOrDefault(socket, 0));
      onFrame.accept(frame);
      received.add(frame);
    } catch (IOException e) {
      received.add(
          new Frame(
              workerId,
              "<not JSON>",
              NullNode.getInstance(),
              text,
              System.nanoTime(),
              connectionNumbers.getOrDefault(socket, 0)));
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
      connectionNumbers.put(
          socket,
          connections.computeIfAbsent(workerId, id -> new AtomicInteger()).incrementAndGet());
      onConnect.accept(workerId);
    }

    @Override
    public void onClose(WebSocket socket, int code, String reason, boolean remote) {
      String workerId = socket.<String>getAttachment();
      if (workerId != null) {
        workers.remove(workerId, socket);
        closeCodes.computeIfAbsent(workerId, id -> new CopyOnWriteArrayList<>()).add(code);
        onDisconnect.accept(workerId);
      }
    }

    @Override
    public void onWebsocketPing(WebSocket socket, Framedata ping) {
      if (!silent) {
        super.onWebsocketPing(socket, ping);
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
