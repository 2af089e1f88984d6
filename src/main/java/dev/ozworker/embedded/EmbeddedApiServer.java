package dev.ozworker.embedded;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * An in-process Kubernetes API for a worker without a cluster: fabric8's mock server on loopback,
 * answering as its CRUD mode does (see {@link EmbeddedDispatcher}), with the AgentTask CRD
 * installed. State lives in memory and ends with the process. Clients use the JDK HTTP client
 * explicitly: the mock server brings the Vert.x client factory too, and which one fabric8 would
 * pick on its own is up to the class path.
 *
 * <p>It is not a full API server: server-side apply is answered 415 (the controller must use merge
 * patches against it), and kubectl finds no resource types on it (see docs/architecture.md,
 * "Running without a cluster").
 */
public final class EmbeddedApiServer implements AutoCloseable {
  /** The CRD as checked in under {@code crds/}, bundled in the jar. */
  public static final String CRD_RESOURCE = "/dev/ozworker/crds/agenttasks.ozworker.dev-v1.yml";

  // Held so the level set on it sticks: java.util.logging keeps loggers only weakly.
  private static final java.util.logging.Logger REQUEST_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");

  private static final String NETTY_CHUNK_ORDER = "io.netty.allocator.maxOrder";

  private final KubernetesMockServer server;
  private final List<KubernetesClient> clients = new ArrayList<>();

  private EmbeddedApiServer(KubernetesMockServer server) {
    this.server = server;
  }

  /** Starts on a free loopback port with the CRD installed. */
  public static EmbeddedApiServer start() {
    return start(new EmbeddedDispatcher());
  }

  /**
   * Starts answering with {@code dispatcher}, the CRD installed: an {@link EmbeddedDispatcher}, or
   * one that wraps it (tests make chosen requests fail).
   */
  public static EmbeddedApiServer start(Dispatcher dispatcher) {
    // The mock server logs every request at INFO; a worker's log is for the worker.
    REQUEST_LOG.setLevel(java.util.logging.Level.WARNING);
    // Vert.x pools Netty's buffers (on the heap: no Unsafe, see Launcher) in chunks of 8 KiB
    // pages << maxOrder, 4 MiB by default, each held and resident for the life of the process;
    // the largest message here is the CRD (10 KiB). Chunks of 512 KiB took 7 MiB off an idle
    // worker's memory.
    if (System.getProperty(NETTY_CHUNK_ORDER) == null) {
      System.setProperty(NETTY_CHUNK_ORDER, "6");
    }
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    // Its own client, closed once the CRD is in: kept, its HTTP client's selector and its two
    // pool threads would idle for the life of the worker beside those of the worker's client.
    try (KubernetesClient installer = server.createClient(new JdkHttpClientFactory())) {
      installer.apiextensions().v1().customResourceDefinitions().resource(crd()).create();
    } catch (RuntimeException e) {
      server.destroy();
      throw e;
    }
    return new EmbeddedApiServer(server);
  }

  /** The AgentTask CRD bundled in the jar. */
  public static CustomResourceDefinition crd() {
    try (InputStream yaml = EmbeddedApiServer.class.getResourceAsStream(CRD_RESOURCE)) {
      if (yaml == null) {
        throw new IllegalStateException(
            "the AgentTask CRD is missing from the jar: " + CRD_RESOURCE);
      }
      return Serialization.unmarshal(yaml, CustomResourceDefinition.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new client of this server, closed with it. */
  public KubernetesClient client() {
    return client(new KubernetesSerialization());
  }

  /**
   * A new client of this server that reads and writes objects with {@code serialization}, closed
   * with it.
   */
  public KubernetesClient client(KubernetesSerialization serialization) {
    KubernetesClient client =
        server.createClient(
            builder ->
                builder
                    .withHttpClientFactory(new JdkHttpClientFactory())
                    .withKubernetesSerialization(serialization));
    synchronized (clients) {
      clients.add(client);
    }
    return client;
  }

  /** Where clients reach it, e.g. {@code http://localhost:41234}. */
  public String url() {
    return server.url("/").replaceFirst("/$", "");
  }

  /** Requests answered so far, for measuring how many writes the worker makes. */
  public int requestCount() {
    return server.getRequestCount();
  }

  /** Stops answering, as an API server that went away; {@link #close()} still closes clients. */
  public void stopServing() {
    server.destroy();
  }

  @Override
  public void close() {
    synchronized (clients) {
      clients.forEach(KubernetesClient::close);
    }
    server.destroy();
  }
}
