package dev.ozworker.controller;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether an Event is written, and how, as Kubernetes' own event recorder does (client-go's
 * {@code EventCorrelator}, with its defaults): every Event costs a write to the API server shared
 * by the whole cluster, so a task that keeps failing the same way must not write an Event each
 * time.
 *
 * <ul>
 *   <li>Rate limit: each task has a bucket of {@link #BURST} Events, refilled by one every {@link
 *       #REFILL}; an Event beyond it is dropped.
 *   <li>Deduplication: an Event repeating one already written (same task, type, reason and message)
 *       updates that Event's count and last timestamp instead of making a new one.
 *   <li>Aggregation: once a task has had {@link #SIMILAR} Events of one type and reason with
 *       different messages within {@link #WINDOW}, the next ones go into one Event whose message
 *       begins with {@link #COMBINED}.
 * </ul>
 */
final class EventCorrelator {
  static final int BURST = 25;
  static final Duration REFILL = Duration.ofMinutes(5);
  static final int SIMILAR = 10;
  static final Duration WINDOW = Duration.ofMinutes(10);
  static final String COMBINED = "(combined from similar events): ";
  private static final int REMEMBERED = 4096;

  /** What to write for an Event. */
  sealed interface Decision {
    /** Nothing: the task's rate limit is used up. */
    record Drop() implements Decision {}

    /** A new Event with {@code message}; {@link #written} is told its name. */
    record Create(String identity, String message) implements Decision {}

    /** The Event {@code name} again: its count becomes {@code count}. */
    record Update(String identity, String name, int count, String message) implements Decision {}
  }

  private record Bucket(double tokens, Instant at) {}

  private record Seen(String name, int count) {}

  private static final class Similar {
    final Instant since;
    final Set<String> messages = new HashSet<>();

    Similar(Instant since) {
      this.since = since;
    }
  }

  private final Clock clock;
  private final Map<String, Bucket> buckets = lru();
  private final Map<String, Similar> similar = lru();
  private final Map<String, Seen> seen = lru();

  EventCorrelator(Clock clock) {
    this.clock = clock;
  }

  /** What to write for an Event on the task of uid {@code task}. */
  synchronized Decision decide(String task, String type, String reason, String message) {
    Instant now = clock.instant();
    if (!take(task, now)) {
      return new Decision.Drop();
    }
    String group = task + "\u0000" + type + "\u0000" + reason;
    Similar recent = similar.get(group);
    if (recent == null || recent.since.plus(WINDOW).isBefore(now)) {
      recent = new Similar(now);
      similar.put(group, recent);
    }
    recent.messages.add(message);
    String said = recent.messages.size() > SIMILAR ? COMBINED + message : message;
    // Once combined, the Events of the group are one, whatever each message says.
    String identity = group + "\u0000" + (said.startsWith(COMBINED) ? COMBINED : said);
    Seen before = seen.get(identity);
    if (before == null || before.name() == null) {
      return new Decision.Create(identity, said);
    }
    seen.put(identity, new Seen(before.name(), before.count() + 1));
    return new Decision.Update(identity, before.name(), before.count() + 1, said);
  }

  /** The Event of a {@link Decision.Create} was written as {@code name}. */
  synchronized void written(String identity, String name) {
    seen.put(identity, new Seen(name, 1));
  }

  /** The Event {@code name} is gone (expired): the next one like it is created anew. */
  synchronized void forget(String identity) {
    seen.remove(identity);
  }

  private boolean take(String task, Instant now) {
    Bucket bucket = buckets.getOrDefault(task, new Bucket(BURST, now));
    double refilled =
        Math.min(
            BURST,
            bucket.tokens()
                + (double) Duration.between(bucket.at(), now).toMillis() / REFILL.toMillis());
    if (refilled < 1) {
      buckets.put(task, new Bucket(refilled, now));
      return false;
    }
    buckets.put(task, new Bucket(refilled - 1, now));
    return true;
  }

  private static <V> Map<String, V> lru() {
    return new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > REMEMBERED;
      }
    };
  }
}
