package dev.ozworker.controller;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Secrets this worker's intake has just created, handed to its controller in memory: a task's first
 * admission then takes its environment from here instead of reading the Secret back from the API
 * server, one request less on the task's way to its backend. Each Secret is taken once; a task
 * admitted again (queued, restarted, or on another replica) reads its Secret as before. A Secret
 * whose task never comes to admission (cancelled first, or not stored after all) is dropped after
 * {@link #KEPT_FOR}, or oldest first beyond {@link #CAPACITY}.
 *
 * <p>The intake creates a task's Secret after the task, owned by it: a Secret it announced as
 * {@link #expect expected} is one the task waits for without writing that it is missing, and its
 * arrival wakes the task. An expectation not met within {@link #KEPT_FOR} is dropped, and the task
 * then reads its Secret as any other.
 */
public final class FreshSecrets {
  static final int CAPACITY = 1024;
  static final Duration KEPT_FOR = Duration.ofMinutes(1);

  private record Offered(Secret secret, Instant at) {}

  private final Clock clock;
  private final Map<String, Offered> offered = new LinkedHashMap<>();
  private final Map<String, Expected> expected = new LinkedHashMap<>();
  private volatile Consumer<ResourceID> arrivals = id -> {};

  private record Expected(ResourceID task, Instant at) {}

  public FreshSecrets(Clock clock) {
    this.clock = clock;
  }

  /** Who is told of a task whose expected Secret arrived, or will not. */
  void onArrival(Consumer<ResourceID> wake) {
    arrivals = wake;
  }

  /** The Secret {@code secretName} of task {@code taskName} is about to be created. */
  public synchronized void expect(String namespace, String taskName, String secretName) {
    dropOld();
    String key = key(namespace, secretName);
    expected.remove(key);
    expected.put(key, new Expected(new ResourceID(taskName, namespace), clock.instant()));
    if (expected.size() > CAPACITY) {
      expected.remove(expected.keySet().iterator().next());
    }
  }

  /** Whether the Secret was announced and has neither arrived nor been given up. */
  synchronized boolean isExpected(String namespace, String secretName) {
    dropOld();
    return expected.containsKey(key(namespace, secretName));
  }

  /** The Secret expected will not come: its task reads it (or misses it) as any other. */
  public void abandon(String namespace, String secretName) {
    Expected was;
    synchronized (this) {
      was = expected.remove(key(namespace, secretName));
    }
    if (was != null) {
      arrivals.accept(was.task());
    }
  }

  /** A Secret as the API server answered its creation. */
  public void offer(Secret created) {
    Expected was;
    synchronized (this) {
      dropOld();
      String key = key(created.getMetadata().getNamespace(), created.getMetadata().getName());
      offered.remove(key);
      offered.put(key, new Offered(created, clock.instant()));
      if (offered.size() > CAPACITY) {
        offered.remove(offered.keySet().iterator().next());
      }
      was = expected.remove(key);
    }
    if (was != null) {
      arrivals.accept(was.task());
    }
  }

  /** The Secret of that name if it was offered and not taken or dropped yet; it is taken. */
  synchronized Optional<Secret> take(String namespace, String name) {
    dropOld();
    return Optional.ofNullable(offered.remove(key(namespace, name))).map(Offered::secret);
  }

  synchronized int size() {
    dropOld();
    return offered.size();
  }

  private void dropOld() {
    Instant oldest = clock.instant().minus(KEPT_FOR);
    for (Iterator<Offered> it = offered.values().iterator(); it.hasNext(); ) {
      if (!it.next().at().isBefore(oldest)) {
        break;
      }
      it.remove();
    }
    for (Iterator<Expected> it = expected.values().iterator(); it.hasNext(); ) {
      if (!it.next().at().isBefore(oldest)) {
        break;
      }
      it.remove();
    }
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }
}
