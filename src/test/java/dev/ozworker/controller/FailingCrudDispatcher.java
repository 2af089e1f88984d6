package dev.ozworker.controller;

import dev.ozworker.embedded.StatusLockingCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The embedded API's dispatcher, made to fail chosen writes with 503 as when etcd is down. */
final class FailingCrudDispatcher extends StatusLockingCrudDispatcher {
  private final boolean recordsStatusWrites;
  private final List<String> patched = new CopyOnWriteArrayList<>();
  private final List<String> statusWrites = new CopyOnWriteArrayList<>();
  private volatile String failingCreates;
  private volatile MockResponse createFailure = unavailable();
  private volatile String failingUpdates;

  /**
   * @param verify check every lookup by name against the mock's own scan, and keep the bodies of
   *     status writes (benchmarks run without, and must not pay for a record of every write)
   */
  FailingCrudDispatcher(boolean verify) {
    super(verify);
    this.recordsStatusWrites = verify;
  }

  /** Updates whose body contains {@code text} answer 503 until called with null. */
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

  @Override
  public MockResponse handleUpdate(RecordedRequest request) {
    String failing = failingUpdates;
    if (failing == null && !recordsStatusWrites) {
      return super.handleUpdate(request);
    }
    String body = new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
    if (recordsStatusWrites && request.getPath().replaceFirst("\\?.*$", "").endsWith("/status")) {
      statusWrites.add(body);
    }
    if (failing != null && body.contains(failing)) {
      return unavailable();
    }
    return super.handleUpdate(request);
  }

  /** The bodies of every PUT of a status, in order; none when not verifying. */
  List<String> statusWrites() {
    return List.copyOf(statusWrites);
  }

  /** The paths of every PATCH answered, in order. */
  List<String> patched() {
    return List.copyOf(patched);
  }

  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    patched.add(request.getPath());
    return super.handlePatch(request);
  }

  @Override
  public MockResponse handleCreate(RecordedRequest request) {
    String failing = failingCreates;
    if (failing != null && request.getPath().contains(failing)) {
      return createFailure;
    }
    return super.handleCreate(request);
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
