package dev.ozworker.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * A demo component, not Oz: a stand-in for the Oz worker endpoint on 127.0.0.1 that speaks the
 * worker wire protocol ({@code {"type": ..., "data": {...}}} text frames) to one worker, so the
 * demo runs without an Oz account. It sends what the demo tells it and hands every frame the worker
 * sends to a listener.
 */
public final class DemoOzEndpoint implements AutoCloseable {
  /** The path Oz serves the worker link on. */
  public static final String PATH = "/api/v1/selfhosted/worker/ws";

  /** A frame the worker sent. */
  public record Frame(String type, JsonNode data) {
    public String taskId() {
      return data.path("task_id").asText();
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Server server = new Server();
  private final CountDownLatch started = new CountDownLatch(1);
  private final List<Frame> received = new CopyOnWriteArrayList<>();
  private final List<Integer> closeCodes = new CopyOnWriteArrayList<>();
  private final Consumer<Frame> listener;
  private volatile WebSocket worker;

  private DemoOzEndpoint(Consumer<Frame> listener) {
    this.listener = listener;
  }

  /** Starts on a free loopback port; {@code listener} sees every frame the worker sends. */
  public static DemoOzEndpoint start(Consumer<Frame> listener) {
    DemoOzEndpoint endpoint = new DemoOzEndpoint(listener);
    endpoint.server.setReuseAddr(true);
    endpoint.server.setDaemon(true);
    endpoint.server.start();
    try {
      if (!endpoint.started.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the demo Oz endpoint did not start in 10s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the demo Oz endpoint", e);
    }
    return endpoint;
  }

  /** The URL a worker dials. */
  public URI webSocketUrl() {
    return URI.create("ws://127.0.0.1:" + server.getPort() + PATH);
  }

  public boolean isConnected() {
    WebSocket socket = worker;
    return socket != null && socket.isOpen();
  }

  /** Sends one message to the connected worker. */
  public void send(String type, ObjectNode data) {
    ObjectNode envelope = JSON.createObjectNode().put("type", type);
    envelope.set("data", data);
    WebSocket socket = worker;
    if (socket == null || !socket.isOpen()) {
      throw new IllegalStateException("no worker is connected to the demo Oz endpoint");
    }
    try {
      socket.send(JSON.writeValueAsString(envelope));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every frame the worker sent so far, in order. */
  public List<Frame> received() {
    return List.copyOf(received);
  }

  /** The close codes of the worker's connections that ended, in order. */
  public List<Integer> closeCodes() {
    return List.copyOf(closeCodes);
  }

  @Override
  public void close() {
    try {
      server.stop(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Server extends WebSocketServer {
    Server() {
      super(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @Override
    public void onOpen(WebSocket socket, ClientHandshake handshake) {
      worker = socket;
    }

    @Override
    public void onClose(WebSocket socket, int code, String reason, boolean remote) {
      closeCodes.add(code);
    }

    @Override
    public void onMessage(WebSocket socket, String text) {
      try {
        JsonNode message = JSON.readTree(text);
        Frame frame = new Frame(message.path("type").asText(), message.path("data").deepCopy());
        received.add(frame);
        listener.accept(frame);
      } catch (IOException e) {
        // The worker only sends JSON; a frame that is not is left out of the demo's record.
      }
    }

    @Override
    public void onError(WebSocket socket, Exception error) {
      if (socket == null) {
        started.countDown();
      }
    }

    @Override
    public void onStart() {
      started.countDown();
    }
  }
}
