package dev.ozworker.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudPersistence;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The embedded API server's store, with every lookup it answers through its name index checked
 * against the mock's own scan of everything stored. A disagreement is kept for the test to fail on,
 * and the request goes on with what the scan found, as the mock would answer it.
 *
 * <pre>
 *   ScanCheckedStore checked = new ScanCheckedStore();
 *   EmbeddedApiServer.start(new EmbeddedDispatcher(checked::around));
 * </pre>
 */
public final class ScanCheckedStore implements KubernetesCrudPersistence {
  private final List<String> disagreements = new CopyOnWriteArrayList<>();
  private StoredObjects store;

  /** Checks {@code store}, which the dispatcher made; once. */
  public KubernetesCrudPersistence around(StoredObjects store) {
    if (this.store != null) {
      throw new IllegalStateException("already checking a store");
    }
    this.store = store;
    return this;
  }

  /** Whether lookups by name still use the index: every change so far was followed by it. */
  public boolean indexInUse() {
    return store.indexInUse();
  }

  /** Each lookup where the index and the scan found different objects. */
  public List<String> disagreements() {
    return List.copyOf(disagreements);
  }

  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    Map.Entry<AttributeSet, String> found = store.findResource(query);
    Map.Entry<AttributeSet, String> scanned = store.scan(query);
    if (!Objects.equals(keyOf(scanned), keyOf(found))) {
      disagreements.add(
          "for " + query + " the name index found " + found + " where the scan found " + scanned);
      return scanned;
    }
    return found;
  }

  private static AttributeSet keyOf(Map.Entry<AttributeSet, String> entry) {
    return entry == null ? null : entry.getKey();
  }

  // Everything else as the store does it: its own ways of versioning too, not the defaults.

  @Override
  public void processEvent(
      String path,
      AttributeSet pathAttributes,
      AttributeSet oldAttributes,
      GenericKubernetesResource resource,
      String newState) {
    store.processEvent(path, pathAttributes, oldAttributes, resource, newState);
  }

  @Override
  public long requestResourceVersion() {
    return store.requestResourceVersion();
  }

  @Override
  public AttributeSet getKey(String path) {
    return store.getKey(path);
  }

  @Override
  public boolean isStatusSubresourceEnabledForResource(String path) {
    return store.isStatusSubresourceEnabledForResource(path);
  }

  @Override
  public void touchResourceVersion(JsonNode currentResource, JsonNode updatedResource) {
    store.touchResourceVersion(currentResource, updatedResource);
  }

  @Override
  public void touchGeneration(JsonNode currentResource, JsonNode updatedResource) {
    store.touchGeneration(currentResource, updatedResource);
  }

  @Override
  public void reset() {
    store.reset();
  }
}
