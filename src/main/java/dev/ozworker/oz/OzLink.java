package dev.ozworker.oz;

import dev.ozworker.config.ApiKey;
import dev.ozworker.config.PrintableUrl;
import dev.ozworker.observe.WorkerMetrics;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocketHandshakeException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's link to Oz: one WebSocket at a time, dialled again after every loss with jittered
 * exponential backoff until {@link #close()}. Frames are decoded and handed to the {@link
 * LinkListener}; a frame that cannot be read is logged and skipped, and the link keeps serving.
 *
 * <p>Two ways to send: {@link #deliver} writes on the live connection, fails when there is none,
 * and waits until Oz has read the frame (the result reporter uses it, and retries from the
 * AgentTask's status); {@link #reply} also queues the message while disconnected and writes it
 * first on the next connection (claims and rejections, which live nowhere else). The API key is
 * sent in the upgrade request and never logged.
 */
public final class OzLink implements AutoCloseable {
  /** Replies kept while disconnected; the oldest is dropped beyond this, as the reference does. */
  static final int MAX_QUEUED_REPLIES = 256;

  private static final Logger LOG = LoggerFactory.getLogger(OzLink.class);

  private final WorkerUrl url;
  private final String workerId;
  private final ApiKey apiKey;
  private final LinkTimings timings;
  private final Clock clock;
  private final OzCodec codec;
  private volatile LinkListener listener;
  private final Backoff backoff;
  private final HttpClient http;
  private final ScheduledExecutorService keepAlive;
  private final Deque<String> queuedReplies = new ArrayDeque<>();
  private final CountDownLatch shutdown = new CountDownLatch(1);
  private final Thread dialler;
  private volatile OzConnection current;
  private final WorkerMetrics metrics;

  /** A link through the proxy the process environment names ({@link EnvironmentProxies}). */
  public OzLink(
      URI webSocketUrl,
      String workerId,
      ApiKey apiKey,
      LinkTimings timings,
      Clock clock,
      RandomGenerator random,
      WorkerMetrics metrics) {
    this(
        webSocketUrl,
        workerId,
        apiKey,
        timings,
        clock,
        random,
        metrics,
        EnvironmentProxies.of(System.getenv()));
  }

  /** A link through the proxies {@code proxies} chooses. */
  public OzLink(
      URI webSocketUrl,
      String workerId,
      ApiKey apiKey,
      LinkTimings timings,
      Clock clock,
      RandomGenerator random,
      WorkerMetrics metrics,
      ProxySelector proxies) {
    this.metrics = metrics;
    this.url = WorkerUrl.of(webSocketUrl, workerId);
    this.workerId = workerId;
    this.apiKey = apiKey;
    this.timings = timings;
    this.clock = clock;
    this.codec = new OzCodec();
    this.backoff = new Backoff(timings, random);
    this.http =
        HttpClient.newBuilder().connectTimeout(timings.connectTimeout()).proxy(proxies).build();
    this.keepAlive =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("oz-keepalive").daemon().factory());
    this.dialler = Thread.ofPlatform().name("oz-link").daemon().unstarted(this::dialUntilClosed);
  }

  /** Starts dialling, handing what arrives to {@code listener}; returns at once. */
  public void start(LinkListener listener) {
    this.listener = listener;
    long tick =
        Math.max(
            10, Math.min(timings.pingInterval().toMillis(), timings.deadAfter().toMillis()) / 4);
    keepAlive.scheduleAtFixedRate(this::keepAlive, tick, tick, TimeUnit.MILLISECONDS);
    dialler.start();
  }

  /** Whether the loop that dials and serves connections still runs. */
  public boolean isAlive() {
    return dialler.isAlive();
  }

  public boolean isConnected() {
    OzConnection connection = current;
    return connection != null && connection.isOpen();
  }

  /**
   * Writes {@code message} on the live connection. Completes once it is written; fails at once when
   * there is no connection, and when the write fails or misses its deadline.
   */
  CompletableFuture<Void> send(WorkerMessage message) {
    return onLiveConnection(connection -> connection.write(codec.encode(message)));
  }

  /**
   * Writes {@code message} on the live connection and completes once Oz has read it: a ping sent
   * behind it has been answered. Fails as {@link #send} does, and when the connection ends or Oz
   * does not answer in time.
   */
  public CompletableFuture<Void> deliver(WorkerMessage message) {
    return onLiveConnection(
        connection -> {
          CompletableFuture<Void> written;
          CompletableFuture<Void> read;
          synchronized (connection) {
            written = connection.write(codec.encode(message));
            read = connection.confirm();
          }
          return written.thenCombine(read, (ignored, alsoIgnored) -> null);
        });
  }

  /** Runs {@code use} on the live connection, or fails at once when there is none. */
  private CompletableFuture<Void> onLiveConnection(
      Function<OzConnection, CompletableFuture<Void>> use) {
    OzConnection connection = current;
    if (connection == null || !connection.isOpen()) {
      return CompletableFuture.failedFuture(new IllegalStateException("not connected to Oz"));
    }
    return use.apply(connection);
  }

  /** Writes {@code message} now if connected, else on the next connection. */
  public void reply(WorkerMessage message) {
    String frame = codec.encode(message);
    synchronized (queuedReplies) {
      OzConnection connection = current;
      if (connection != null && connection.isOpen() && queuedReplies.isEmpty()) {
        connection.write(frame).exceptionally(error -> queue(frame));
        return;
      }
      queue(frame);
    }
  }

  /** Stops dialling and closes the connection with a normal closure. */
  @Override
  public void close() {
    shutdown.countDown();
    OzConnection connection = current;
    if (connection != null) {
      connection.closeNormally("worker shutting down");
      try {
        connection.closed().get(timings.writeDeadline().toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        connection.drop("worker shutting down");
      }
    }
    keepAlive.shutdownNow();
    try {
      dialler.join(timings.writeDeadline().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.shutdownNow();
  }

  private Void queue(String frame) {
    synchronized (queuedReplies) {
      if (queuedReplies.size() >= MAX_QUEUED_REPLIES) {
        queuedReplies.removeFirst();
        LOG.warn(
            "more than {} replies to Oz queued while disconnected: dropped the oldest",
            MAX_QUEUED_REPLIES);
      }
      queuedReplies.addLast(frame);
    }
    return null;
  }

  private void dialUntilClosed() {
    while (shutdown.getCount() > 0) {
      Duration wait;
      OzConnection connection =
          new OzConnection(timings, clock, OzCodec.DEFAULT_MAX_FRAME_CHARS, this::frame);
      try {
        http.newWebSocketBuilder()
            .header("Authorization", "Bearer " + apiKey.value())
            .connectTimeout(timings.connectTimeout())
            .buildAsync(url.uri(), connection)
            .get(timings.connectTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        wait = serve(connection);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        wait = dialFailed(e);
      }
      if (!pause(wait)) {
        return;
      }
    }
  }

  private Duration serve(OzConnection connection) throws InterruptedException {
    LOG.info("connected to Oz at {} as worker {}", url.printable(), workerId);
    synchronized (queuedReplies) {
      current = connection;
      while (!queuedReplies.isEmpty()) {
        connection.write(queuedReplies.removeFirst());
      }
    }
    try {
      listener.connected();
    } catch (RuntimeException e) {
      LOG.error("handling the new connection to Oz failed", e);
    }
    String why;
    try {
      why = connection.closed().get();
    } catch (ExecutionException e) {
      why = OzConnection.rootMessage(e);
    }
    current = null;
    if (shutdown.getCount() == 0) {
      return Duration.ZERO;
    }
    metrics.reconnecting(WorkerMetrics.REMOTE_CLOSE);
    Duration wait = backoff.afterClose(connection.uptime());
    LOG.warn(
        "lost the connection to Oz after {}s: {}; reconnecting in {} ms",
        connection.uptime().toSeconds(),
        PrintableUrl.strip(why),
        wait.toMillis());
    return wait;
  }

  private Duration dialFailed(Exception failure) {
    metrics.reconnecting(WorkerMetrics.DIAL_FAILED);
    Throwable cause = failure instanceof ExecutionException ? failure.getCause() : failure;
    if (cause instanceof WebSocketHandshakeException refused) {
      int status = refused.getResponse().statusCode();
      if (status == 401 || status == 403) {
        Duration wait = backoff.afterAuthRefused();
        LOG.error(
            "Oz refused the API key (HTTP {}) at {}: check --api-key or WARP_API_KEY for worker {};"
                + " retrying in {}s",
            status,
            url.printable(),
            workerId,
            wait.toSeconds());
        return wait;
      }
      Duration wait = backoff.afterFailedDial();
      LOG.warn(
          "Oz refused the WebSocket upgrade at {} (HTTP {}); retrying in {} ms",
          url.printable(),
          status,
          wait.toMillis());
      return wait;
    }
    Duration wait = backoff.afterFailedDial();
    LOG.warn(
        "cannot reach Oz at {}: {}; retrying in {} ms",
        url.printable(),
        cause instanceof TimeoutException
            ? "the handshake timed out"
            : PrintableUrl.strip(OzConnection.rootMessage(cause)),
        wait.toMillis());
    return wait;
  }

  /** Waits, or returns false at once when the link is closed meanwhile. */
  private boolean pause(Duration wait) {
    try {
      return !shutdown.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void frame(String text) {
    try {
      switch (codec.decode(text)) {
        case Decoded.Message(ServerMessage message) -> listener.received(message);
        case Decoded.Message(OzMessage other) ->
            LOG.warn(
                "{} frame from Oz ignored: it is a worker's message",
                MessageType.of(other).wireName());
        case Decoded.Ignored ignored -> LOG.info(ignored.describe());
        case Decoded.Malformed(DecodeError error) -> {
          LOG.warn(error.describe());
          listener.malformed(error);
        }
      }
    } catch (RuntimeException e) {
      LOG.error("handling a frame from Oz failed; the link keeps serving", e);
    }
  }

  private void keepAlive() {
    OzConnection connection = current;
    if (connection != null && connection.isOpen()) {
      connection.keepAlive();
    }
  }
}
