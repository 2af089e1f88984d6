package dev.ozworker.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesResponseComposer;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudPersistence;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.AttributeType;
import io.fabric8.mockwebserver.http.MockResponse;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * What the embedded API server stores. fabric8's CRUD mock keeps it (the objects by key, their
 * resourceVersions, the CRDs it was given, its answers to lists); around it, a {@link NameIndex}
 * serves every lookup by name, {@link Watches} are told of every change, and a write that changes
 * nothing or only metadata and status is recognised by comparing trees where the mock computed a
 * JSON diff. fabric8's own handlers of creates, updates and patches work on it through {@link
 * KubernetesCrudPersistence}, as they work on the mock.
 *
 * <p>Writes are made one at a time ({@link #writing}); reads and the opening of a watch see the
 * store between two writes ({@link #reading}).
 */
public final class StoredObjects implements KubernetesCrudPersistence {
  private final KubernetesCrudDispatcher mock = new KubernetesCrudDispatcher();
  private final KubernetesAttributesExtractor extractor =
      (KubernetesAttributesExtractor) mock.getAttributeExtractor();
  private final KubernetesResponseComposer composer =
      (KubernetesResponseComposer) mock.getResponseComposer();
  private final Map<AttributeSet, String> stored = mock.getMap();
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private final NameIndex index = new NameIndex();
  private final Watches watches = new Watches(stored, lock.readLock());
  private final Clock clock;
  // The mock's own count, which its lists carry: every version is handed out here, in a write.
  private long lastVersion;

  /**
   * @param clock the time of a deletion marked on an object that still has finalizers
   */
  StoredObjects(Clock clock) {
    this.clock = clock;
  }

  /** Whether lookups by name still use the index (see {@link NameIndex}). */
  public boolean indexInUse() {
    return index.inUse();
  }

  /**
   * The first stored object {@code query} selects, found by name through the index when the query
   * names one object; otherwise by {@link #scan}.
   */
  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    String name = index.inUse() ? nameIn(query) : null;
    if (name == null) {
      return scan(query);
    }
    for (AttributeSet key : index.keysNamed(name)) {
      String value = stored.get(key);
      if (value != null && key.matches(query)) {
        return Map.entry(key, value);
      }
    }
    return null;
  }

  /** The mock's own lookup: every stored object tested against {@code query} in turn. */
  public Map.Entry<AttributeSet, String> scan(AttributeSet query) {
    return mock.findResource(query);
  }

  @Override
  public void processEvent(
      String path,
      AttributeSet pathAttributes,
      AttributeSet oldKey,
      GenericKubernetesResource resource,
      String newState) {
    // Read here once: given to the mock, it takes its key from the object instead of reading again.
    GenericKubernetesResource object =
        resource != null || newState == null
            ? resource
            : Serialization.unmarshal(newState, GenericKubernetesResource.class);
    String existing = oldKey == null ? null : stored.get(oldKey);
    mock.processEvent(path, pathAttributes, oldKey, object, newState);
    AttributeSet newKey = null;
    String name = null;
    if (newState != null) {
      newKey = keyOf(pathAttributes, object, newState);
      name =
          object != null
              ? object.getMetadata().getName()
              : JsonMetadata.field(newState, "name").orElse(null);
    }
    index.moved(oldKey, newKey, name, newKey != null && stored.containsKey(newKey));
    if (!Objects.equals(existing, newState)) {
      watches.changed(oldKey, existing, newKey, newState);
    }
  }

  @Override
  public long requestResourceVersion() {
    lastVersion = mock.requestResourceVersion();
    return lastVersion;
  }

  @Override
  public AttributeSet getKey(String path) {
    return mock.getKey(path);
  }

  @Override
  public boolean isStatusSubresourceEnabledForResource(String path) {
    return mock.isStatusSubresourceEnabledForResource(path);
  }

  @Override
  public void touchResourceVersion(JsonNode currentResource, JsonNode updatedResource) {
    if (!currentResource.equals(updatedResource)) {
      ((ObjectNode) updatedResource.get(METADATA))
          .put(RESOURCE_VERSION, String.valueOf(requestResourceVersion()));
    }
  }

  @Override
  public void touchGeneration(JsonNode currentResource, JsonNode updatedResource) {
    if (changedBeyondMetadataAndStatus(currentResource, updatedResource)) {
      ((ObjectNode) updatedResource.get(METADATA))
          .put(GENERATION, currentResource.path(METADATA).path(GENERATION).asInt(0) + 1);
    }
  }

  /**
   * Whether a top-level field other than metadata and status differs: what the mock finds by
   * looking for such a path in the diff of the two.
   */
  static boolean changedBeyondMetadataAndStatus(JsonNode current, JsonNode updated) {
    Set<String> fields = new HashSet<>();
    current.fieldNames().forEachRemaining(fields::add);
    updated.fieldNames().forEachRemaining(fields::add);
    fields.remove(METADATA);
    fields.remove("status");
    for (String field : fields) {
      if (!Objects.equals(current.get(field), updated.get(field))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void reset() {
    writing(
        () -> {
          mock.reset();
          index.clear();
          return null;
        });
  }

  /** The extractor of keys from paths and objects, which knows the CRDs stored. */
  KubernetesAttributesExtractor extractor() {
    return extractor;
  }

  /** A read, made between two writes. */
  <T> T reading(Supplier<T> read) {
    lock.readLock().lock();
    try {
      return read.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** A write, made while nothing else reads or writes. */
  <T> T writing(Supplier<T> write) {
    lock.writeLock().lock();
    try {
      return write.get();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** A GET the index does not serve (lists, API discovery, reads with options), as the mock. */
  MockResponse list(String path) {
    return mock.handleGet(path);
  }

  /** Opens a watch of what {@code path} selects. */
  MockResponse watch(String path) {
    return watches.open(path, getKey(path));
  }

  /**
   * A DELETE as the mock makes it: every object the path selects is removed, or, while it has
   * finalizers, marked for deletion; the answer is the object, or the list of them, as it was.
   */
  MockResponse delete(String path) {
    AttributeSet query = getKey(path);
    List<Map.Entry<AttributeSet, String>> selected = new ArrayList<>();
    for (Map.Entry<AttributeSet, String> entry : new ArrayList<>(stored.entrySet())) {
      if (entry.getKey().matches(query)) {
        selected.add(entry);
      }
    }
    List<String> items = new ArrayList<>();
    for (Map.Entry<AttributeSet, String> entry : selected) {
      items.add(entry.getValue());
      GenericKubernetesResource object =
          Serialization.unmarshal(entry.getValue(), GenericKubernetesResource.class);
      if (object.getFinalizers().isEmpty()) {
        processEvent(path, query, entry.getKey(), null, null);
      } else if (!object.isMarkedForDeletion()) {
        object
            .getMetadata()
            .setDeletionTimestamp(
                ZonedDateTime.ofInstant(clock.instant(), ZoneOffset.UTC)
                    .truncatedTo(ChronoUnit.SECONDS)
                    .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        object.getMetadata().setResourceVersion(String.valueOf(requestResourceVersion()));
        processEvent(path, query, entry.getKey(), object, Serialization.asJson(object));
      }
    }
    if (query.containsKey(KubernetesAttributesExtractor.NAME)) {
      return items.isEmpty()
          ? new MockResponse().setResponseCode(HttpURLConnection.HTTP_NOT_FOUND)
          : new MockResponse().setResponseCode(HttpURLConnection.HTTP_OK).setBody(items.get(0));
    }
    return new MockResponse()
        .setResponseCode(HttpURLConnection.HTTP_OK)
        .setBody(composer.compose(items, String.valueOf(lastVersion)));
  }

  /** The key the mock stores {@code newState} under, worked out as the mock does. */
  private AttributeSet keyOf(
      AttributeSet pathAttributes, GenericKubernetesResource object, String newState) {
    AttributeSet key =
        object != null ? extractor.extract(object) : extractor.fromResource(newState);
    return key.containsKey(KubernetesAttributesExtractor.PLURAL)
        ? key
        : AttributeSet.merge(pathAttributes, key);
  }

  /** The one name {@code query} asks for, when it asks for exactly one; else null. */
  private static String nameIn(AttributeSet query) {
    Attribute name = query.getAttribute(KubernetesAttributesExtractor.NAME);
    if (name == null || name.getType() != AttributeType.WITH || name.getValues().size() != 1) {
      return null;
    }
    String value = name.getValues().get(0).toString();
    return NameIndex.WILDCARD.equals(value) ? null : value;
  }
}
