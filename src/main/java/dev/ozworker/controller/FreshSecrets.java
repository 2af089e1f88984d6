package dev.ozworker.controller;

import io.fabric8.kubernetes.api.model.Secret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Secrets this worker's intake has just created, handed to its controller in memory: a task's first
 * admission then takes its environment from here instead of reading the Secret back from the API
 * server, one request less on the task's way to its backend. Each Secret is taken once; a task
 * admitted again (queued, restarted, or on another replica) reads its Secret as before. A Secret
 * whose task never comes to admission (cancelled first, or not stored after all) is dropped after
 * {@link #KEPT_FOR}, or oldest first beyond {@link #CAPACITY}.
 */
public final class FreshSecrets {
  static final int CAPACITY = 1024;
  static final Duration KEPT_FOR = Duration.ofMinutes(1);

  private record Offered(Secret secret, Instant at) {}

  private final Clock clock;
  private final Map<String, Offered> offered = new LinkedHashMap<>();

  public FreshSecrets(Clock clock) {
    this.clock = clock;
  }

  /** A Secret as the API server answered its creation. */
  public synchronized void offer(Secret created) {
    dropOld();
    String key = key(created.getMetadata().getNamespace(), created.getMetadata().getName());
    offered.remove(key);
    offered.put(key, new Offered(created, clock.instant()));
    if (offered.size() > CAPACITY) {
      offered.remove(offered.keySet().iterator().next());
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
        return;
      }
      it.remove();
    }
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }
}
