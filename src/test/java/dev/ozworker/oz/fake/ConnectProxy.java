package dev.ozworker.oz.fake;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP proxy on loopback that serves only CONNECT: it records the target each client asks for
 * and tunnels to the same port on loopback, whatever the host, so that a client can be pointed at a
 * name no resolver knows (a proxy is never used for loopback names) and still reach a local server.
 */
public final class ConnectProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final List<String> targets = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  private ConnectProxy(ServerSocket listener) {
    this.listener = listener;
  }

  public static ConnectProxy start() throws IOException {
    ConnectProxy proxy =
        new ConnectProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    Thread.ofVirtual().name("connect-proxy").start(proxy::acceptUntilClosed);
    return proxy;
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** The {@code host:port} of every CONNECT, in order. */
  public List<String> targets() {
    return List.copyOf(targets);
  }

  private void acceptUntilClosed() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        sockets.add(client);
        Thread.ofVirtual().start(() -> tunnel(client));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void tunnel(Socket client) {
    try {
      String head = head(client.getInputStream());
      String[] requestLine = head.lines().findFirst().orElse("").split(" ");
      OutputStream toClient = client.getOutputStream();
      if (requestLine.length < 2 || !requestLine[0].equals("CONNECT")) {
        toClient.write(
            "HTTP/1.1 405 Method Not Allowed\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        client.close();
        return;
      }
      targets.add(requestLine[1]);
      int port = Integer.parseInt(requestLine[1].substring(requestLine[1].lastIndexOf(':') + 1));
      Socket server = new Socket(InetAddress.getLoopbackAddress(), port);
      sockets.add(server);
      toClient.write(
          "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      toClient.flush();
      Thread.ofVirtual().start(() -> pump(server, client));
      pump(client, server);
    } catch (IOException | RuntimeException e) {
      closeQuietly(client);
    }
  }

  /** The request head, read byte by byte so nothing after it is consumed. */
  private static String head(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      String text = head.toString(StandardCharsets.US_ASCII);
      if (text.endsWith("\r\n\r\n")) {
        return text;
      }
    }
    throw new IOException("connection closed before the request head ended");
  }

  private static void pump(Socket from, Socket to) {
    try {
      from.getInputStream().transferTo(to.getOutputStream());
    } catch (IOException e) {
      // one side closed: the tunnel ends
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    sockets.forEach(ConnectProxy::closeQuietly);
  }
}
