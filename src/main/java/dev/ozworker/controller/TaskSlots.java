package dev.ozworker.controller;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * This replica's capacity ({@code max_concurrent_tasks}): a slot per task handed to the backend,
 * held until its cleanup is done, and the tasks waiting for one, oldest first.
 */
final class TaskSlots {
  private final int max;
  private final Set<ResourceID> held = new HashSet<>();
  private final Set<ResourceID> waiting = new LinkedHashSet<>();

  /**
   * @param max slots; 0 means no limit
   */
  TaskSlots(int max) {
    this.max = max;
  }

  /** Takes a slot for the task, or finds it already held; false when all are taken. */
  synchronized boolean tryAcquire(ResourceID task) {
    if (held.contains(task)) {
      return true;
    }
    if (max > 0 && held.size() >= max) {
      return false;
    }
    held.add(task);
    waiting.remove(task);
    return true;
  }

  /**
   * Takes a slot even when all are taken: for a task found running after a restart, which runs
   * whether or not it fits.
   */
  synchronized void acquireAnyway(ResourceID task) {
    held.add(task);
    waiting.remove(task);
  }

  /** Remembers a task that found no slot, to wake it when one frees. */
  synchronized void await(ResourceID task) {
    waiting.add(task);
  }

  /** Forgets a task: its slot if held, its place in the queue if waiting. */
  synchronized void forget(ResourceID task) {
    waiting.remove(task);
    held.remove(task);
  }

  /**
   * Frees the task's slot.
   *
   * @return the waiting tasks, oldest first, to wake so one of them takes the slot
   */
  synchronized List<ResourceID> release(ResourceID task) {
    waiting.remove(task);
    return held.remove(task) ? new ArrayList<>(waiting) : List.of();
  }

  synchronized boolean hasFree() {
    return max == 0 || held.size() < max;
  }

  synchronized int inUse() {
    return held.size();
  }

  /** The tasks waiting for a slot, oldest first. */
  synchronized List<ResourceID> waiting() {
    return new ArrayList<>(waiting);
  }

  synchronized int waitingCount() {
    return waiting.size();
  }

  int max() {
    return max;
  }
}
