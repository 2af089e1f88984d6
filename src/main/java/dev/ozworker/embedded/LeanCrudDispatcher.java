package dev.ozworker.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * fabric8's CRUD mock dispatcher without the work its writes repeat. Under a burst of tasks the
 * mock's writes were about two fifths of the embedded worker's CPU, and part of that was done twice
 * or more for nothing:
 *
 * <ul>
 *   <li>A change's watch event was made once per watch, reading the stored JSON into an object and
 *       writing it out again; with two AgentTask watches open (the controller's and the worker's
 *       own) that was about 6% of the CPU. Here the event is the stored JSON wrapped as it is, made
 *       once and sent to every watch it concerns.
 *   <li>The new state of every PUT was read twice to find the key it is stored under: here once.
 *   <li>Whether a write changed anything, and whether it changed more than metadata and status, was
 *       decided by computing a JSON diff: here by comparing the trees.
 * </ul>
 *
 * <p>A watch is sent what is stored when it opens, then every change after that, in the order they
 * were stored: both are sent holding the same lock. As with the mock, a watch's resourceVersion is
 * not honoured (everything stored comes as ADDED), which informers take in their stride.
 */
public class LeanCrudDispatcher extends KubernetesCrudDispatcher {
  protected final KubernetesAttributesExtractor extractor;
  private final Set<Watch> watches = new CopyOnWriteArraySet<>();
  private final Object sending = new Object();

  public LeanCrudDispatcher() {
    this.extractor = (KubernetesAttributesExtractor) attributeExtractor;
  }

  @Override
  public MockResponse handleWatch(String path) {
    AttributeSet query = attributeExtractor.fromPath(path);
    String name = nameInFieldSelector(path);
    if (name != null) {
      query = query.add(new Attribute("name", name));
    }
    return new MockResponse().withWebSocketUpgrade(new Watch(query));
  }

  @Override
  public final void processEvent(
      String path,
      AttributeSet pathAttributes,
      AttributeSet oldAttributes,
      GenericKubernetesResource resource,
      String newState) {
    // Read here once: given to the mock, it takes its key from the object instead of reading again.
    GenericKubernetesResource object =
        resource != null || newState == null
            ? resource
            : Serialization.unmarshal(newState, GenericKubernetesResource.class);
    synchronized (sending) {
      String existing = oldAttributes == null ? null : map.get(oldAttributes);
      super.processEvent(path, pathAttributes, oldAttributes, object, newState);
      AttributeSet newAttributes = null;
      String name = null;
      if (newState != null) {
        newAttributes = keyOf(pathAttributes, object, newState);
        name =
            object != null
                ? object.getMetadata().getName()
                : JsonMetadata.field(newState, "name").orElse(null);
      }
      stored(oldAttributes, newAttributes, name);
      if (!Objects.equals(existing, newState)) {
        send(oldAttributes, existing, newAttributes, newState);
      }
    }
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

  /**
   * Told of each change as the mock stores it, within the write: the key it was stored under (null
   * when it is new), the key it is stored under now and its name (both null when it was removed).
   */
  protected void stored(AttributeSet oldKey, AttributeSet newKey, String name) {}

  /** The key the mock stores {@code newState} under, worked out as the mock does. */
  private AttributeSet keyOf(
      AttributeSet pathAttributes, GenericKubernetesResource object, String newState) {
    AttributeSet key =
        object != null ? extractor.extract(object) : extractor.fromResource(newState);
    return key.containsKey(KubernetesAttributesExtractor.PLURAL)
        ? key
        : AttributeSet.merge(pathAttributes, key);
  }

  private void send(
      AttributeSet oldAttributes, String existing, AttributeSet newAttributes, String newState) {
    String modified = null;
    String deleted = null;
    String added = null;
    for (Watch watch : watches) {
      boolean hadIt = oldAttributes != null && oldAttributes.matches(watch.query);
      boolean hasIt = newAttributes != null && newAttributes.matches(watch.query);
      if (hadIt && hasIt) {
        watch.send(modified = modified != null ? modified : event("MODIFIED", newState));
      } else if (hadIt) {
        watch.send(deleted = deleted != null ? deleted : event("DELETED", existing));
      } else if (hasIt) {
        watch.send(added = added != null ? added : event("ADDED", newState));
      }
    }
  }

  private static String event(String type, String object) {
    return "{\"type\":\"" + type + "\",\"object\":" + object + "}";
  }

  /** The name in a watch's {@code fieldSelector=metadata.name=…}, read as the mock reads it. */
  private static String nameInFieldSelector(String path) {
    String query;
    try {
      query = new URI(path).getQuery();
    } catch (URISyntaxException e) {
      return null;
    }
    if (query == null) {
      return null;
    }
    String name = null;
    for (String parameter : query.split("&")) {
      if (parameter.contains("fieldSelector") && parameter.contains("metadata.name")) {
        String[] parts = parameter.split("=");
        name = parts[parts.length - 1];
      }
    }
    return name == null || name.isEmpty() ? null : name;
  }

  /** One open watch: what it selects, and its socket once open. */
  private final class Watch extends WebSocketListener {
    private final AttributeSet query;
    private volatile WebSocket socket;

    Watch(AttributeSet query) {
      this.query = query;
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      socket = webSocket;
      synchronized (sending) {
        for (Map.Entry<AttributeSet, String> entry : new ArrayList<>(map.entrySet())) {
          if (entry.getKey().matches(query)) {
            send(event("ADDED", entry.getValue()));
          }
        }
        watches.add(this);
      }
    }

    void send(String event) {
      socket.send(event);
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      watches.remove(this);
      webSocket.close(code, reason);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      watches.remove(this);
      webSocket.close(code, reason);
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable error, Response response) {
      watches.remove(this);
      webSocket.close(1000, error.getMessage());
    }
  }
}
