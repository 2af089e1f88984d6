package dev.ozworker.fault;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on a loopback port in front of the real API server (TLS passes through untouched):
 * the worker's kubeconfig names this port, so {@link #cut} makes the API unavailable to the worker
 * (open connections reset, new ones refused) and {@link #restore} brings it back on the same port,
 * as an API server restart looks from the worker. The API server and its state stay as they are.
 */
final class ApiOutageProxy implements AutoCloseable {
  private final InetSocketAddress upstream;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket listener;
  private int port;

  ApiOutageProxy(InetSocketAddress upstream) {
    this.upstream = upstream;
  }

  /** Starts relaying on a free port, or on the port it had before a {@link #cut}. */
  synchronized void restore() throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    port = socket.getLocalPort();
    listener = socket;
    Thread.ofVirtual().name("api-proxy-accept").start(() -> accept(socket));
  }

  int port() {
    return port;
  }

  /** Refuses new connections and resets the open ones. */
  synchronized void cut() throws IOException {
    listener.close();
    for (Socket socket : open) {
      try {
        socket.setSoLinger(true, 0); // a reset, as from a server that went away
        socket.close();
      } catch (IOException alreadyClosed) {
        // nothing to cut
      }
    }
    open.clear();
  }

  private void accept(ServerSocket socket) {
    while (!socket.isClosed()) {
      try {
        Socket client = socket.accept();
        Socket server = new Socket();
        try {
          server.connect(upstream, 5000);
        } catch (IOException unreachable) {
          client.close();
          continue;
        }
        open.add(client);
        open.add(server);
        Thread.ofVirtual().start(() -> pump(client, server));
        Thread.ofVirtual().start(() -> pump(server, client));
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream()) {
      OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.write(buffer, 0, n);
        out.flush();
      }
      to.shutdownOutput();
    } catch (IOException ended) {
      closeQuietly(to);
    } finally {
      open.remove(from);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    cut();
  }
}
