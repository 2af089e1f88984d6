package dev.ozworker.embedded;

import io.fabric8.mockwebserver.crud.AttributeSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The keys of the stored objects by name. fabric8's mock finds the object of every write and every
 * read by name by testing each stored object in turn, so each request cost grew with everything
 * stored (every task, Secret and Event): 70% of the embedded worker's CPU under a burst of tasks.
 * With this index a request about one object looks only at the objects of that name.
 *
 * <p>It follows every change the store makes ({@link #moved}). Should it ever miss one (an object
 * stored under a key it did not foresee), it is given up and every lookup scans as before: slower,
 * never wrong.
 */
final class NameIndex {
  /** A stored name that matches every name in the mock's comparison; the index cannot serve it. */
  static final String WILDCARD = "*";

  private final Map<String, Set<AttributeSet>> byName = new ConcurrentHashMap<>();
  private final Map<AttributeSet, String> nameOf = new ConcurrentHashMap<>();
  private volatile boolean complete = true;

  /** Whether the index still follows every stored object, and lookups may use it. */
  boolean inUse() {
    return complete;
  }

  /** The keys of the objects stored under {@code name}; some may have gone since. */
  Set<AttributeSet> keysNamed(String name) {
    return byName.getOrDefault(name, Set.of());
  }

  /**
   * One change as the store made it: the key an object was stored under (null when it is new), the
   * key it is stored under now and its name (both null when it was removed).
   *
   * @param stored whether the store holds the object under {@code newKey}, as it should
   */
  void moved(AttributeSet oldKey, AttributeSet newKey, String name, boolean stored) {
    if (oldKey != null) {
      forget(oldKey);
    }
    if (newKey == null) {
      return;
    }
    if (name == null || name.equals(WILDCARD) || !stored) {
      complete = false;
      return;
    }
    byName.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(newKey);
    nameOf.put(newKey, name);
  }

  /** Forgets everything, as when the store is emptied. */
  void clear() {
    byName.clear();
    nameOf.clear();
    complete = true;
  }

  private void forget(AttributeSet key) {
    String name = nameOf.remove(key);
    if (name != null) {
      byName.computeIfPresent(
          name,
          (n, keys) -> {
            keys.remove(key);
            return keys.isEmpty() ? null : keys;
          });
    }
  }
}
