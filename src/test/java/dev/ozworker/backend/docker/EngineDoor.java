package dev.ozworker.backend.docker;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Unix socket in front of the machine's Docker engine, passing every byte both ways, that a test
 * can shut as an engine shuts when it restarts: open connections are cut, and new ones are accepted
 * and closed without an answer until it is reopened.
 */
final class EngineDoor implements AutoCloseable {
  private final Path socket;
  private final UnixDomainSocketAddress engine;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger turnedAway = new AtomicInteger();
  private volatile boolean shut;

  private EngineDoor(Path socket, UnixDomainSocketAddress engine) throws IOException {
    this.socket = socket;
    this.engine = engine;
    this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    this.acceptor = Thread.ofVirtual().name("engine-door").start(this::acceptUntilClosed);
  }

  /** A door at {@code socket} to the engine DOCKER_HOST names (a Unix socket). */
  static EngineDoor open(Path socket) throws IOException {
    String host = System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
    if (!host.startsWith("unix://")) {
      throw new IllegalStateException("DOCKER_HOST is not a Unix socket: " + host);
    }
    return new EngineDoor(socket, UnixDomainSocketAddress.of(host.substring("unix://".length())));
  }

  /** The address to give a Docker client, e.g. {@code unix:///tmp/x/engine.sock}. */
  String dockerHost() {
    return "unix://" + socket;
  }

  /** Cuts every open connection and turns new ones away. */
  void shut() throws IOException {
    shut = true;
    for (SocketChannel connection : connections) {
      connection.close();
    }
  }

  void reopen() {
    shut = false;
  }

  /** How many connections were turned away while shut. */
  int turnedAway() {
    return turnedAway.get();
  }

  private void acceptUntilClosed() {
    while (server.isOpen()) {
      try {
        SocketChannel client = server.accept();
        if (shut) {
          turnedAway.incrementAndGet();
          client.close();
          continue;
        }
        SocketChannel upstream = SocketChannel.open(engine);
        connections.add(client);
        connections.add(upstream);
        Thread.ofVirtual().start(() -> pump(client, upstream));
        Thread.ofVirtual().start(() -> pump(upstream, client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void pump(SocketChannel from, SocketChannel to) {
    ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
    try {
      while (from.read(buffer) >= 0) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          to.write(buffer);
        }
        buffer.clear();
      }
    } catch (IOException cut) {
      // shut, or the other side went away
    }
    try {
      from.close();
      to.close();
    } catch (IOException ignored) {
      // already closed
    }
    connections.remove(from);
    connections.remove(to);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    server.close();
    shut();
    acceptor.join();
    Files.deleteIfExists(socket);
  }
}
