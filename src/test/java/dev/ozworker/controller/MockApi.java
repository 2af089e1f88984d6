package dev.ozworker.controller;

import dev.ozworker.embedded.EmbeddedApiServer;
import dev.ozworker.embedded.EmbeddedDispatcher;
import dev.ozworker.embedded.ScanCheckedStore;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * An in-process API server for controller tests: the worker's embedded API server (fabric8's mock
 * server on loopback answering as its CRUD mode does, refusing stale writes of resources and of
 * their status with 409 as an API server does, with the AgentTask CRD installed), whose writes
 * tests can make fail.
 */
public final class MockApi implements AutoCloseable {
  private final EmbeddedApiServer server;
  private final FailingDispatcher dispatcher;
  private final ScanCheckedStore checked;
  private final List<KubernetesClient> clients = new ArrayList<>();

  private MockApi(
      EmbeddedApiServer server, FailingDispatcher dispatcher, ScanCheckedStore checked) {
    this.server = server;
    this.dispatcher = dispatcher;
    this.checked = checked;
  }

  /**
   * Checks every lookup of the embedded API's name index against a scan of all it stores, and keeps
   * the status writes it is sent.
   */
  public static MockApi start() {
    ScanCheckedStore checked = new ScanCheckedStore();
    FailingDispatcher dispatcher =
        new FailingDispatcher(new EmbeddedDispatcher(checked::around), true);
    return new MockApi(EmbeddedApiServer.start(dispatcher), dispatcher, checked);
  }

  /** The embedded API server as the worker runs it, without those checks: for benchmarks. */
  public static MockApi startUnchecked() {
    FailingDispatcher dispatcher = new FailingDispatcher(new EmbeddedDispatcher(), false);
    return new MockApi(EmbeddedApiServer.start(dispatcher), dispatcher, null);
  }

  /**
   * Whether every change so far was followed by the embedded API's name index, and every lookup it
   * answered agreed with a scan of all stored; only a checked server ({@link #start()}) knows.
   */
  public boolean nameIndexAgreedWithScans() {
    if (checked == null) {
      throw new IllegalStateException("an unchecked MockApi does not compare lookups with scans");
    }
    return checked.indexInUse() && checked.disagreements().isEmpty();
  }

  /**
   * Creates under paths containing {@code fragment} (e.g. {@code /agenttasks}) fail with 503, as
   * when etcd is unavailable, until called with null.
   */
  public void failCreates(String fragment) {
    dispatcher.failCreates(fragment);
  }

  /**
   * Creates under paths containing {@code fragment} are answered with {@code code} and a Status as
   * a real API server writes it: {@code reason}, a message, and one cause saying {@code problem}
   * about {@code field} (none when the field is empty), until {@link #failCreates(String)} is
   * called with null.
   */
  public void failCreates(String fragment, int code, String reason, String field, String problem) {
    String message = field.isEmpty() ? problem : field + ": " + problem;
    String causes =
        field.isEmpty()
            ? ""
            : ",\"details\":{\"causes\":[{\"reason\":\"FieldValueInvalid\",\"field\":\"%s\",\"message\":\"%s\"}]}"
                .formatted(field, problem);
    String status =
        "{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"%s\",\"code\":%d,\"message\":\"%s\"%s}"
            .formatted(reason, code, message, causes);
    dispatcher.failCreates(
        fragment,
        new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(code).setBody(status));
  }

  /** Updates whose body contains {@code text} fail with 503 until called with null. */
  public void failUpdatesContaining(String text) {
    dispatcher.failUpdatesContaining(text);
  }

  /** A new client of this server, as a separate worker replica would have; closed with it. */
  public KubernetesClient client() {
    return server.client();
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

  /** The bodies of the status PUTs received so far, in order. */
  public List<String> statusWrites() {
    return dispatcher.statusWrites();
  }

  /** The paths of the PATCH requests answered so far, in order. */
  public List<String> patched() {
    return dispatcher.patched();
  }

  /** Requests the server has answered so far. */
  public int requestCount() {
    return server.requestCount();
  }

  /** Stops answering, as an API server that went away; {@link #close()} still closes clients. */
  public void stopServing() {
    server.stopServing();
  }

  /**
   * Stops the server; a checked one then fails if a lookup of its name index disagreed with a scan.
   */
  @Override
  public void close() {
    clients.forEach(KubernetesClient::close);
    server.close();
    if (checked != null && !checked.disagreements().isEmpty()) {
      throw new AssertionError(
          "the embedded API's name index disagreed with a scan: " + checked.disagreements());
    }
  }
}
