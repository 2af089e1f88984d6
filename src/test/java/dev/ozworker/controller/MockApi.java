package dev.ozworker.controller;

import dev.ozworker.api.ApiFixtures;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * An in-process API server for controller tests: fabric8's mock server in CRUD mode on loopback,
 * refusing stale writes of resources and of their status with 409 as an API server does, with the
 * AgentTask CRD installed and clients on the JDK HTTP client.
 */
public final class MockApi implements AutoCloseable {
  private final KubernetesMockServer server;
  private final StatusLockingCrudDispatcher dispatcher;
  private final List<KubernetesClient> clients = new ArrayList<>();

  private MockApi(KubernetesMockServer server, StatusLockingCrudDispatcher dispatcher) {
    this.server = server;
    this.dispatcher = dispatcher;
  }

  public static MockApi start() {
    StatusLockingCrudDispatcher dispatcher = new StatusLockingCrudDispatcher();
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    MockApi api = new MockApi(server, dispatcher);
    try {
      api.client()
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .resource(ApiFixtures.crd())
          .create();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return api;
  }

  /**
   * Creates under paths containing {@code fragment} (e.g. {@code /agenttasks}) fail with 503, as
   * when etcd is unavailable, until called with null.
   */
  public void failCreates(String fragment) {
    dispatcher.failCreates(fragment);
  }

  /** Updates whose body contains {@code text} fail with 503 until called with null. */
  public void failUpdatesContaining(String text) {
    dispatcher.failUpdatesContaining(text);
  }

  /** A new client of this server, as a separate worker replica would have; closed with it. */
  public KubernetesClient client() {
    KubernetesClient client = server.createClient(new JdkHttpClientFactory());
    clients.add(client);
    return client;
  }

  /**
   * A client that gives up on a failed request at once instead of retrying it with backoff, for
   * tests of what the worker does when a write fails.
   */
  public KubernetesClient clientWithoutRetries() {
    KubernetesClient base = client();
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(base.getConfiguration()).withRequestRetryBackoffLimit(0).build())
            .withHttpClientFactory(new JdkHttpClientFactory())
            .build();
    clients.add(client);
    return client;
  }

  /** Requests the server has answered so far. */
  public int requestCount() {
    return server.getRequestCount();
  }

  /** Stops answering, as an API server that went away; {@link #close()} still closes clients. */
  public void stopServing() {
    server.destroy();
  }

  @Override
  public void close() {
    clients.forEach(KubernetesClient::close);
    server.destroy();
  }
}
