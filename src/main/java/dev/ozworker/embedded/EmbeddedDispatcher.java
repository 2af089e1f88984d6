package dev.ozworker.embedded;

import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudDispatcherException;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudDispatcherHandler;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudPersistence;
import io.fabric8.kubernetes.client.server.mock.crud.PatchHandler;
import io.fabric8.kubernetes.client.server.mock.crud.PostHandler;
import io.fabric8.kubernetes.client.server.mock.crud.PutHandler;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * How the embedded API server answers a request: fabric8's own handlers of creates, updates and
 * patches on the {@link StoredObjects}, deletes and reads by name on them too, lists and API
 * discovery by fabric8's mock, watches by {@link Watches}. One thing is added to what the mock
 * does: a PUT of a status carrying a stale resourceVersion is refused with 409, as an API server
 * refuses it. The mock refuses such a PUT of the resource itself but takes any PUT of {@code
 * /status}, so two writers of a status would overwrite each other silently where a real API server
 * makes the second one retry.
 */
public final class EmbeddedDispatcher extends Dispatcher {
  private static final String CONFLICT =
      "{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Conflict\","
          + "\"code\":409,\"message\":\"the object has been modified; please apply your changes"
          + " to the latest version and try again\"}";

  private final StoredObjects store;
  private final KubernetesCrudPersistence lookups;
  private final KubernetesCrudDispatcherHandler creates;
  private final KubernetesCrudDispatcherHandler updates;
  private final KubernetesCrudDispatcherHandler patches;

  public EmbeddedDispatcher() {
    this(store -> store);
  }

  /**
   * @param lookups what the handlers and the reads by name work on: the store as it is, or seen
   *     through something that checks it (tests compare each lookup with the mock's scan)
   */
  public EmbeddedDispatcher(Function<StoredObjects, KubernetesCrudPersistence> lookups) {
    this.store = new StoredObjects(Clock.systemUTC());
    this.lookups = lookups.apply(store);
    this.creates = new PostHandler(store.extractor(), this.lookups);
    this.updates = new PutHandler(this.lookups);
    this.patches = new PatchHandler(this.lookups);
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String path = request.getPath();
    return switch (request.method()) {
      case POST -> store.writing(() -> handle(creates, request));
      case PUT ->
          store.writing(() -> isStaleStatusWrite(request) ? conflict() : handle(updates, request));
      case PATCH -> store.writing(() -> handle(patches, request));
      case DELETE -> store.writing(() -> store.delete(path));
      case GET -> Watches.isWatch(path) ? store.watch(path) : store.reading(() -> get(path));
      default -> null;
    };
  }

  /** A read of one object by its path, through the index; anything else as the mock reads it. */
  private MockResponse get(String path) {
    if (!path.contains("?")) {
      AttributeSet key = lookups.getKey(path);
      if (key.containsKey(KubernetesAttributesExtractor.NAME)) {
        Map.Entry<AttributeSet, String> found = lookups.findResource(key);
        return found == null
            ? new MockResponse().setResponseCode(HttpURLConnection.HTTP_NOT_FOUND)
            : new MockResponse()
                .setResponseCode(HttpURLConnection.HTTP_OK)
                .setBody(found.getValue());
      }
    }
    return store.list(path);
  }

  /** Whether a PUT of a status carries a resourceVersion other than the stored object's. */
  private boolean isStaleStatusWrite(RecordedRequest request) {
    String path = request.getPath().replaceFirst("\\?.*$", "");
    if (!path.endsWith("/status")) {
      return false;
    }
    Optional<String> sent =
        JsonMetadata.field(request.getBody().getBytes(), "resourceVersion")
            .filter(version -> !version.isEmpty());
    if (sent.isEmpty()) {
      return false;
    }
    String resource = path.substring(0, path.length() - "/status".length());
    Map.Entry<AttributeSet, String> stored = lookups.findResource(lookups.getKey(resource));
    return stored != null && !JsonMetadata.field(stored.getValue(), "resourceVersion").equals(sent);
  }

  private static MockResponse conflict() {
    return new MockResponse().setResponseCode(HttpURLConnection.HTTP_CONFLICT).setBody(CONFLICT);
  }

  /** What fabric8's mock answers with the handler: its error as a Status, as an API server. */
  private static MockResponse handle(
      KubernetesCrudDispatcherHandler handler, RecordedRequest request) {
    try {
      return handler.handle(request);
    } catch (KubernetesCrudDispatcherException e) {
      return new MockResponse().setResponseCode(e.getCode()).setBody(e.toStatusBody());
    }
  }
}
