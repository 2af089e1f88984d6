package dev.ozworker.observe;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * When each task of this process passed its milestones, by AgentTask name, so a component can time
 * the step since another component's milestone. Bounded: the oldest tasks are forgotten first, so a
 * task that never reaches its last milestone (one nobody reports) cannot grow it without end.
 */
final class TaskTimeline {
  /** Milestones of one task, as far as this process saw them. */
  static final class Milestones {
    Instant assigned;
    Instant stored;
    Instant claimed;
    Instant started;
    Instant running;
    Instant finished;
    Instant reported;
    String backend;
    String result;

    /** When, where and how the task ended; null before it ended. */
    Ending ending() {
      return finished == null ? null : new Ending(finished, backend, result);
    }
  }

  /** A task's final phase as this process saw it. */
  record Ending(Instant at, String backend, String result) {}

  private static final int MAX_TASKS = 10_000;

  private final Map<String, Milestones> entries =
      new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Milestones> eldest) {
          return size() > MAX_TASKS;
        }
      };

  /**
   * Applies {@code change} to the task's entry, made when it has none, under the timeline's lock.
   */
  synchronized <T> T update(String task, Function<Milestones, T> change) {
    return change.apply(entries.computeIfAbsent(task, ignored -> new Milestones()));
  }

  /** Applies {@code change} to the task's entry if it has one, under the timeline's lock. */
  synchronized <T> Optional<T> updateIfPresent(String task, Function<Milestones, T> change) {
    Milestones entry = entries.get(task);
    return entry == null ? Optional.empty() : Optional.ofNullable(change.apply(entry));
  }

  /** Applies {@code read} to the task's entry if it has one. */
  synchronized <T> Optional<T> read(String task, Function<Milestones, T> read) {
    Milestones entry = entries.get(task);
    return entry == null ? Optional.empty() : Optional.ofNullable(read.apply(entry));
  }

  synchronized void forget(String task) {
    entries.remove(task);
  }
}
