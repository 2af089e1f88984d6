package dev.ozworker.embedded;

import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.locks.Lock;

/**
 * The open watches, and each change sent to those it concerns. fabric8's mock made a change's event
 * once per watch, reading the stored JSON into an object and writing it out again; with two
 * AgentTask watches open (the controller's and the worker's own) that was about 6% of the embedded
 * worker's CPU under a burst of tasks. Here the event is the stored JSON wrapped as it is, made
 * once and sent to every watch it concerns.
 *
 * <p>A watch is sent what is stored when it opens, then every change after that, in the order they
 * were stored: it opens holding the store's read lock, and changes are made holding its write lock.
 * As with the mock, a watch's resourceVersion is not honoured (everything stored comes as ADDED),
 * which informers take in their stride.
 */
final class Watches {
  private final Set<Watch> open = new CopyOnWriteArraySet<>();
  private final Map<AttributeSet, String> stored;
  private final Lock reading;

  /**
   * @param stored the store's objects by key
   * @param reading held while a watch is sent what is stored, so that no change is made meanwhile
   */
  Watches(Map<AttributeSet, String> stored, Lock reading) {
    this.stored = stored;
    this.reading = reading;
  }

  /** Whether {@code path} asks for a watch rather than a read, as the mock tells them apart. */
  static boolean isWatch(String path) {
    String query = query(path);
    return query != null && !query.isEmpty() && query.contains("watch=true");
  }

  /** Upgrades the request to a watch of what {@code query} selects, as the mock does. */
  MockResponse open(String path, AttributeSet query) {
    String name = nameInFieldSelector(path);
    AttributeSet selected = name == null ? query : query.add(new Attribute("name", name));
    return new MockResponse().withWebSocketUpgrade(new Watch(selected));
  }

  /**
   * Tells every watch concerned of one change: an object stored under {@code oldKey} as {@code
   * existing} (both null when it is new) is now stored under {@code newKey} as {@code newState}
   * (both null when it was removed).
   */
  void changed(AttributeSet oldKey, String existing, AttributeSet newKey, String newState) {
    String modified = null;
    String deleted = null;
    String added = null;
    for (Watch watch : open) {
      boolean hadIt = oldKey != null && oldKey.matches(watch.query);
      boolean hasIt = newKey != null && newKey.matches(watch.query);
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

  private static String query(String path) {
    try {
      return new URI(path).getQuery();
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** The name in a watch's {@code fieldSelector=metadata.name=…}, read as the mock reads it. */
  private static String nameInFieldSelector(String path) {
    String query = query(path);
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
      reading.lock();
      try {
        for (Map.Entry<AttributeSet, String> entry : new ArrayList<>(stored.entrySet())) {
          if (entry.getKey().matches(query)) {
            send(event("ADDED", entry.getValue()));
          }
        }
        open.add(this);
      } finally {
        reading.unlock();
      }
    }

    void send(String event) {
      socket.send(event);
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      open.remove(this);
      webSocket.close(code, reason);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      open.remove(this);
      webSocket.close(code, reason);
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable error, Response response) {
      open.remove(this);
      webSocket.close(1000, error.getMessage());
    }
  }
}
