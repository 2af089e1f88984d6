package dev.ozworker.oz;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open WebSocket to Oz. Writes go out one at a time, each within the write deadline, or the
 * connection is dropped; frames are reassembled up to the frame limit; silence past the dead-after
 * limit drops it too. A dropped connection is never reused: the link dials a new one.
 */
final class OzConnection implements WebSocket.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(OzConnection.class);
  private static final ByteBuffer PING = ByteBuffer.wrap(new byte[] {'o', 'z'});
  // A confirming ping's payload: this marker, then its sequence number (8 bytes).
  private static final byte CONFIRMING = 'c';

  private final LinkTimings timings;
  private final Clock clock;
  private final int maxFrameChars;
  private final Consumer<String> frames;
  private final CompletableFuture<String> closed = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  private final Instant openedAt;
  private volatile WebSocket socket;
  private volatile Instant lastHeard;
  private volatile Instant lastPing;
  private CompletableFuture<?> writes = CompletableFuture.completedFuture(null);
  private long confirmations; // guarded by this
  private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> unconfirmed =
      new ConcurrentSkipListMap<>();

  OzConnection(LinkTimings timings, Clock clock, int maxFrameChars, Consumer<String> frames) {
    this.timings = timings;
    this.clock = clock;
    this.maxFrameChars = maxFrameChars;
    this.frames = frames;
    this.openedAt = clock.instant();
    this.lastHeard = openedAt;
    this.lastPing = openedAt;
    closed.thenAccept(
        why ->
            unconfirmed
                .values()
                .forEach(
                    waiting ->
                        waiting.completeExceptionally(
                            new IllegalStateException(
                                "the connection to Oz ended before it confirmed: " + why))));
  }

  /** Completes with why the connection ended. */
  CompletableFuture<String> closed() {
    return closed;
  }

  boolean isOpen() {
    return !closed.isDone();
  }

  Duration uptime() {
    return Duration.between(openedAt, clock.instant());
  }

  /**
   * Writes one text frame after those before it. Completes when the frame is written; fails, and
   * drops the connection, when it cannot be written within the deadline.
   */
  synchronized CompletableFuture<Void> write(String text) {
    return enqueue(() -> socket.sendText(text, true));
  }

  /**
   * Completes once Oz has read every frame written before this call: a ping goes out behind them,
   * and a server answers pings in the order it reads frames. A frame merely written is not yet
   * delivered: were this process to die at once, its socket would be reset, and the server could
   * lose what it had not read. Fails when the connection ends first; a pong that does not come
   * within the write deadline drops the connection.
   */
  synchronized CompletableFuture<Void> confirm() {
    long sequence = ++confirmations;
    CompletableFuture<Void> answered = new CompletableFuture<>();
    unconfirmed.put(sequence, answered);
    answered.whenComplete((ignored, error) -> unconfirmed.remove(sequence));
    ByteBuffer payload = ByteBuffer.allocate(1 + Long.BYTES).put(CONFIRMING).putLong(sequence);
    enqueue(() -> socket.sendPing(payload.flip()))
        .whenComplete(
            (pinged, error) -> {
              if (error != null) {
                answered.completeExceptionally(error);
                return;
              }
              // timed from the ping's write, not from the writes queued before it
              answered
                  .orTimeout(timings.writeDeadline().toMillis(), TimeUnit.MILLISECONDS)
                  .exceptionally(
                      late -> {
                        if (rootCause(late) instanceof TimeoutException) {
                          drop(
                              "Oz did not answer a ping within "
                                  + timings.writeDeadline().toMillis()
                                  + " ms");
                        }
                        return null;
                      });
            });
    return answered;
  }

  /** Pings when one is due, and drops a connection that has been silent too long. */
  void keepAlive() {
    Instant now = clock.instant();
    if (Duration.between(lastHeard, now).compareTo(timings.deadAfter()) > 0) {
      drop("no frame or pong for " + Duration.between(lastHeard, now).toSeconds() + "s");
    } else if (Duration.between(lastPing, now).compareTo(timings.pingInterval()) >= 0) {
      lastPing = now;
      synchronized (this) {
        enqueue(() -> socket.sendPing(PING.duplicate()));
      }
    }
  }

  /** Closes with a normal closure (1000), or drops the connection if that cannot be written. */
  synchronized void closeNormally(String why) {
    if (socket == null || !isOpen()) {
      return;
    }
    enqueue(() -> socket.sendClose(WebSocket.NORMAL_CLOSURE, why))
        .whenComplete((ignored, error) -> drop(why));
  }

  /** Ends the connection at once. */
  void drop(String why) {
    if (closed.complete(why) && socket != null) {
      socket.abort();
    }
  }

  private CompletableFuture<Void> enqueue(java.util.function.Supplier<CompletionStage<?>> send) {
    CompletableFuture<Void> written =
        writes
            .handle((ignored, error) -> null)
            .thenCompose(
                ignored -> {
                  if (!isOpen()) {
                    return CompletableFuture.failedFuture(
                        new IllegalStateException("the connection to Oz is closed"));
                  }
                  return send.get().toCompletableFuture();
                })
            .orTimeout(timings.writeDeadline().toMillis(), TimeUnit.MILLISECONDS)
            .thenApply(ignored -> (Void) null);
    written.whenComplete(
        (ignored, error) -> {
          if (error != null && isOpen()) {
            drop(
                rootCause(error) instanceof TimeoutException
                    ? "a write did not finish within " + timings.writeDeadline().toMillis() + " ms"
                    : "a write failed: " + rootMessage(error));
          }
        });
    writes = written;
    return written;
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    socket = webSocket;
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    heard();
    // Keep at most one char past the limit: enough for the codec to reject the frame as too
    // large without holding all of it.
    int room = maxFrameChars + 1 - partial.length();
    if (room > 0) {
      partial.append(data, 0, Math.min(room, data.length()));
    }
    if (last) {
      String frame = partial.toString();
      partial.setLength(0);
      partial.trimToSize();
      frames.accept(frame);
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    heard();
    if (last) {
      LOG.warn("binary frame from Oz ignored: the protocol sends JSON text frames");
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
    heard(); // the JDK answers with a pong itself
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
    heard();
    if (message.remaining() == 1 + Long.BYTES && message.get(message.position()) == CONFIRMING) {
      // Pongs come back in order: this one confirms every ping up to its own.
      var confirmed = unconfirmed.headMap(message.getLong(message.position() + 1), true);
      confirmed.values().forEach(waiting -> waiting.complete(null));
      confirmed.clear();
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closed.complete(
        "Oz closed the connection (" + statusCode + (reason.isEmpty() ? "" : " " + reason) + ")");
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    drop("connection error: " + rootMessage(error));
  }

  private static Throwable rootCause(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }

  private void heard() {
    lastHeard = clock.instant();
  }

  static String rootMessage(Throwable error) {
    Throwable root = rootCause(error);
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
