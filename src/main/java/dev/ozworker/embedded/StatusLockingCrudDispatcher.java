package dev.ozworker.embedded;

import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.Map;
import java.util.Optional;

/**
 * fabric8's CRUD mock dispatcher with optimistic concurrency on the status subresource too. The
 * mock refuses a PUT of a resource carrying a stale resourceVersion with 409, as an API server
 * does, but accepts any PUT of {@code /status}: two writers of the status would then overwrite each
 * other silently, where a real API server makes the second one retry.
 */
public class StatusLockingCrudDispatcher extends NameIndexedCrudDispatcher {
  private final Object writes = new Object();

  public StatusLockingCrudDispatcher() {
    this(false);
  }

  /**
   * @param verify check every lookup by name against a scan of everything stored (for tests)
   */
  public StatusLockingCrudDispatcher(boolean verify) {
    super(verify);
  }

  @Override
  public MockResponse handleUpdate(RecordedRequest request) {
    synchronized (writes) {
      String path = request.getPath().replaceFirst("\\?.*$", "");
      if (path.endsWith("/status") && isStale(path.substring(0, path.length() - 7), request)) {
        return new MockResponse()
            .setResponseCode(409)
            .setBody(
                "{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\"Failure\","
                    + "\"reason\":\"Conflict\",\"code\":409,\"message\":\"the object has been"
                    + " modified; please apply your changes to the latest version and try"
                    + " again\"}");
      }
      return super.handleUpdate(request);
    }
  }

  // Every other write goes through the same lock, so a check and its write are one step.
  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    synchronized (writes) {
      return super.handlePatch(request);
    }
  }

  @Override
  public MockResponse handleCreate(RecordedRequest request) {
    synchronized (writes) {
      return super.handleCreate(request);
    }
  }

  @Override
  public MockResponse handleDelete(String path) {
    synchronized (writes) {
      return super.handleDelete(path);
    }
  }

  private boolean isStale(String resourcePath, RecordedRequest request) {
    Optional<String> sent =
        JsonMetadata.field(request.getBody().getBytes(), "resourceVersion")
            .filter(version -> !version.isEmpty());
    Map.Entry<?, String> stored = findByPath(resourcePath);
    if (sent.isEmpty() || stored == null) {
      return false;
    }
    return !JsonMetadata.field(stored.getValue(), "resourceVersion").equals(sent);
  }
}
