package dev.ozworker.embedded;

import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * fabric8's CRUD mock dispatcher with its stored objects indexed by name. The mock finds the object
 * of every write and every read by name by testing each stored object in turn, so each request cost
 * grew with everything stored (every task, Secret and Event): 70% of the embedded worker's CPU
 * under a burst of tasks. Here a request about one object looks only at the objects of that name;
 * lists, watches and deletes still go through the mock's own scan.
 *
 * <p>The index follows every change the mock makes ({@link #stored}). Should it ever miss one (an
 * object stored under attributes it did not foresee), it stops being used and every lookup scans as
 * before: slower, never wrong. With {@code verify}, every indexed lookup is checked against the
 * scan and a difference fails the request, for tests.
 */
public class NameIndexedCrudDispatcher extends LeanCrudDispatcher {
  private static final ThreadLocal<String> REQUESTED_NAME = new ThreadLocal<>();

  private final boolean verify;
  private final Map<String, Set<AttributeSet>> byName = new ConcurrentHashMap<>();
  private final Map<AttributeSet, String> nameOf = new ConcurrentHashMap<>();
  private volatile boolean complete = true;
  // The mock's own lock is private: a read by name through the index must not see a write half
  // done (the old attributes removed, the new not yet stored), so writes and such reads take this.
  private final ReadWriteLock consistent = new ReentrantReadWriteLock();

  /**
   * @param verify check every indexed lookup against the mock's own scan (slow; for tests)
   */
  public NameIndexedCrudDispatcher(boolean verify) {
    this.verify = verify;
  }

  /** Whether the index still follows every stored object, and lookups use it. */
  public boolean indexInUse() {
    return complete;
  }

  @Override
  public MockResponse handleCreate(RecordedRequest request) {
    String name = nameInBody(request);
    return writing(() -> withName(name, () -> super.handleCreate(request)));
  }

  @Override
  public MockResponse handleUpdate(RecordedRequest request) {
    return writing(
        () -> withName(nameInPath(request.getPath()), () -> super.handleUpdate(request)));
  }

  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    return writing(() -> withName(nameInPath(request.getPath()), () -> super.handlePatch(request)));
  }

  @Override
  public MockResponse handleDelete(String path) {
    return writing(() -> super.handleDelete(path));
  }

  @Override
  public MockResponse handleGet(String path) {
    String name = nameInPath(path);
    if (name == null || path.contains("?")) {
      return super.handleGet(path); // lists, watches, and reads with options
    }
    Map.Entry<AttributeSet, String> found;
    consistent.readLock().lock();
    try {
      found = withName(name, () -> findResource(getKey(path)));
    } finally {
      consistent.readLock().unlock();
    }
    return found == null
        ? new MockResponse().setResponseCode(HttpURLConnection.HTTP_NOT_FOUND)
        : new MockResponse().setResponseCode(HttpURLConnection.HTTP_OK).setBody(found.getValue());
  }

  /** The object stored at {@code path} (a path naming one object), if any. */
  protected Map.Entry<AttributeSet, String> findByPath(String path) {
    return withName(nameInPath(path), () -> findResource(getKey(path)));
  }

  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet attributes) {
    String name = REQUESTED_NAME.get();
    if (!complete
        || name == null
        || !attributes.matches(
            AttributeSet.map(new Attribute(KubernetesAttributesExtractor.NAME, name)))) {
      return super.findResource(attributes);
    }
    Map.Entry<AttributeSet, String> found = null;
    for (AttributeSet stored : byName.getOrDefault(name, Set.of())) {
      String value = map.get(stored);
      if (value != null && stored.matches(attributes)) {
        found = Map.entry(stored, value);
        break;
      }
    }
    if (verify) {
      Map.Entry<AttributeSet, String> scanned = super.findResource(attributes);
      if (!Objects.equals(
          scanned == null ? null : scanned.getKey(), found == null ? null : found.getKey())) {
        throw new IllegalStateException(
            "the name index found " + found + " where the scan found " + scanned);
      }
    }
    return found;
  }

  @Override
  protected void stored(AttributeSet oldKey, AttributeSet newKey, String name) {
    if (oldKey != null) {
      forget(oldKey);
    }
    if (newKey == null) {
      return;
    }
    if (name == null || !map.containsKey(newKey)) {
      complete = false;
      return;
    }
    byName.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(newKey);
    nameOf.put(newKey, name);
  }

  @Override
  public void reset() {
    super.reset();
    byName.clear();
    nameOf.clear();
  }

  private void forget(AttributeSet attributes) {
    String name = nameOf.remove(attributes);
    if (name != null) {
      byName.computeIfPresent(
          name,
          (n, stored) -> {
            stored.remove(attributes);
            return stored.isEmpty() ? null : stored;
          });
    }
  }

  private <T> T writing(Supplier<T> write) {
    consistent.writeLock().lock();
    try {
      return write.get();
    } finally {
      consistent.writeLock().unlock();
    }
  }

  /**
   * The {@code metadata.name} of a create's body; null when it has none (the mock then scans, and
   * answers a body it cannot read as it answers any).
   */
  private static String nameInBody(RecordedRequest request) {
    return JsonMetadata.field(request.getBody().getBytes(), "name").orElse(null);
  }

  private String nameInPath(String path) {
    return extractor.fromKubernetesPath(path).get(KubernetesAttributesExtractor.NAME);
  }

  private static <T> T withName(String name, Supplier<T> request) {
    String outer = REQUESTED_NAME.get();
    REQUESTED_NAME.set(name);
    try {
      return request.get();
    } finally {
      REQUESTED_NAME.set(outer);
    }
  }
}
