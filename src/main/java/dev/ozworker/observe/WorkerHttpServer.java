package dev.ozworker.observe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's HTTP port: {@code /metrics} in the Prometheus text format, {@code /healthz}
 * (liveness) and {@code /readyz} (readiness), each 200 with "ok" or 503 with what is wrong. Served
 * by the JDK's HTTP server on virtual threads, so a slow probe holds no scrape back.
 */
public final class WorkerHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerHttpServer.class);

  private final HttpServer server;
  private final ExecutorService executor;

  private WorkerHttpServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds {@code address}:{@code port} (0 picks a free port) and starts serving.
   *
   * @throws UncheckedIOException when the port cannot be bound, naming it
   */
  public static WorkerHttpServer start(
      String address, int port, PrometheusRegistry registry, Probes probes) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(address, port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serve /metrics, /healthz and /readyz on "
              + address
              + ":"
              + port
              + " ("
              + e.getMessage()
              + "): choose another --http-port / http_port or --http-address",
          e);
    }
    server.createContext("/metrics", new MetricsHandler(registry));
    server.createContext("/healthz", exchange -> answer(exchange, probes.liveness()));
    server.createContext("/readyz", exchange -> answer(exchange, probes.readiness()));
    ExecutorService executor =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("http-", 0).factory());
    server.setExecutor(executor);
    server.start();
    log.info(
        "serving /metrics, /healthz and /readyz on {}:{}", address, server.getAddress().getPort());
    return new WorkerHttpServer(server, executor);
  }

  /** The bound port; the chosen one when started with port 0. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void answer(HttpExchange exchange, Supplier<Optional<String>> probe)
      throws IOException {
    try (exchange) {
      Optional<String> problem;
      try {
        problem = probe.get();
      } catch (RuntimeException e) {
        problem = Optional.of("the check failed: " + e);
      }
      byte[] body = (problem.orElse("ok") + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      boolean head = "HEAD".equals(exchange.getRequestMethod());
      exchange.sendResponseHeaders(problem.isEmpty() ? 200 : 503, head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }
}
