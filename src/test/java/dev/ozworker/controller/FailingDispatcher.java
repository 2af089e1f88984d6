package dev.ozworker.controller;

import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The embedded API server's dispatcher seen through chosen failures: writes a test picks are
 * answered with 503, as when etcd is down, or with a Status of its choosing; the rest go through.
 * It also keeps the status writes and patches it was sent, for tests to read.
 */
final class FailingDispatcher extends Dispatcher {
  private final Dispatcher embedded;
  private final boolean recordsStatusWrites;
  private final List<String> patched = new CopyOnWriteArrayList<>();
  private final List<String> statusWrites = new CopyOnWriteArrayList<>();
  private volatile String failingCreates;
  private volatile MockResponse createFailure = unavailable();
  private volatile String failingUpdates;

  /**
   * @param embedded answers every request not made to fail
   * @param recordsStatusWrites keep the bodies of status writes (benchmarks run without, and must
   *     not pay for a record of every write)
   */
  FailingDispatcher(Dispatcher embedded, boolean recordsStatusWrites) {
    this.embedded = embedded;
    this.recordsStatusWrites = recordsStatusWrites;
  }

  /** Updates and patches whose body contains {@code text} answer 503 until called with null. */
  void failUpdatesContaining(String text) {
    failingUpdates = text;
  }

  /** Creates under paths containing {@code fragment} answer 503 until called with null. */
  void failCreates(String fragment) {
    failCreates(fragment, unavailable());
  }

  /** Creates under paths containing {@code fragment} get {@code answer} until called with null. */
  void failCreates(String fragment, MockResponse answer) {
    createFailure = answer;
    failingCreates = fragment;
  }

  /** The bodies of every PUT or PATCH of a status, in order; none when not recording them. */
  List<String> statusWrites() {
    return List.copyOf(statusWrites);
  }

  /** The paths of every PATCH answered, in order. */
  List<String> patched() {
    return List.copyOf(patched);
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    switch (request.method()) {
      case POST -> {
        String failing = failingCreates;
        if (failing != null && request.getPath().contains(failing)) {
          return createFailure;
        }
      }
      case PUT, PATCH -> {
        if ("PATCH".equals(String.valueOf(request.method()))) {
          patched.add(request.getPath());
        }
        String failing = failingUpdates;
        if (failing != null || recordsStatusWrites) {
          String body = new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
          if (recordsStatusWrites
              && request.getPath().replaceFirst("\\?.*$", "").endsWith("/status")) {
            statusWrites.add(body);
          }
          if (failing != null && body.contains(failing)) {
            return unavailable();
          }
        }
      }
      default -> {}
    }
    return embedded.dispatch(request);
  }

  @Override
  public void shutdown() {
    embedded.shutdown();
  }

  private static MockResponse unavailable() {
    return new MockResponse()
        .setResponseCode(503)
        .setBody(
            "{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\"Failure\","
                + "\"reason\":\"ServiceUnavailable\",\"code\":503,\"message\":\"etcd is"
                + " unavailable\"}");
  }
}
