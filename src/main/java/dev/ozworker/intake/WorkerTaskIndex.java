package dev.ozworker.intake;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * This worker's AgentTasks as the intake needs them: how many are unfinished (for {@code
 * max_concurrent_tasks}), which exist (for repeated assignments), and which belong to an Oz task
 * (for cancellations). Fed by an informer on the tasks labelled with this worker's id, plus the
 * names the intake is storing right now, which the informer has not seen yet: two assignments
 * arriving together can never both take the last slot.
 */
public final class WorkerTaskIndex {
  private static final String BY_TASK_ID = "ozTaskId";

  /** What {@link #reserve} decided. */
  public enum Reservation {
    /** A slot is held for the name until the informer sees it or it is released. */
    RESERVED,
    /** The task is stored already. */
    KNOWN,
    /** The worker runs {@code max_concurrent_tasks} tasks. */
    AT_CAPACITY
  }

  private final SharedIndexInformer<AgentTask> informer;
  private final String namespace;
  private final int limit;
  private final Set<String> unfinished = new HashSet<>();
  private final Map<String, String> reserved = new HashMap<>();

  /**
   * Registers with {@code informer}, which must not have started yet.
   *
   * @param limit {@code max_concurrent_tasks}; 0 means no limit
   */
  public WorkerTaskIndex(SharedIndexInformer<AgentTask> informer, String namespace, int limit) {
    this.informer = informer;
    this.namespace = namespace;
    this.limit = limit;
    informer.addIndexers(
        Map.of(
            BY_TASK_ID,
            task ->
                task.getSpec() == null || task.getSpec().getTaskId() == null
                    ? List.of()
                    : List.of(task.getSpec().getTaskId())));
    informer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(AgentTask task) {
            seen(task);
          }

          @Override
          public void onUpdate(AgentTask before, AgentTask task) {
            seen(task);
          }

          @Override
          public void onDelete(AgentTask task, boolean finalStateUnknown) {
            forget(task.getMetadata().getName());
          }
        });
  }

  /** Holds a slot for the AgentTask {@code name} of Oz task {@code taskId}, if there is one. */
  public synchronized Reservation reserve(String name, String taskId) {
    if (reserved.containsKey(name)
        || informer.getStore().getByKey(namespace + "/" + name) != null) {
      return Reservation.KNOWN;
    }
    if (limit > 0 && unfinished.size() + reserved.size() >= limit) {
      return Reservation.AT_CAPACITY;
    }
    reserved.put(name, taskId);
    return Reservation.RESERVED;
  }

  /** Whether this worker's AgentTask {@code name} is stored and has reached a final phase. */
  public boolean isFinished(String name) {
    AgentTask task = informer.getStore().getByKey(namespace + "/" + name);
    return task != null && hasFinished(task);
  }

  /** This worker's AgentTask {@code name}, as stored; empty when not stored (or not seen yet). */
  public Optional<AgentTask> stored(String name) {
    return Optional.ofNullable(informer.getStore().getByKey(namespace + "/" + name));
  }

  /** Gives back the slot of a task that could not be stored. */
  public synchronized void release(String name) {
    reserved.remove(name);
  }

  /**
   * Names of the AgentTasks of Oz task {@code taskId} that a cancellation still concerns, stored or
   * being stored: the unfinished ones, and those handed off to another runtime (phase Dispatched)
   * and not cancelled yet, whose cancellation the backend passes on.
   */
  public synchronized List<String> cancellable(String taskId) {
    Stream<String> stored =
        informer.getIndexer().byIndex(BY_TASK_ID, taskId).stream()
            .filter(task -> !hasFinished(task) || handedOffUncancelled(task))
            .map(task -> task.getMetadata().getName());
    Stream<String> storing =
        reserved.entrySet().stream()
            .filter(e -> e.getValue().equals(taskId))
            .map(Map.Entry::getKey);
    return Stream.concat(stored, storing).distinct().toList();
  }

  /** Unfinished tasks, stored or being stored. */
  public synchronized int active() {
    return unfinished.size() + reserved.size();
  }

  public int limit() {
    return limit;
  }

  private synchronized void seen(AgentTask task) {
    String name = task.getMetadata().getName();
    reserved.remove(name);
    if (hasFinished(task)) {
      unfinished.remove(name);
    } else {
      unfinished.add(name);
    }
  }

  private static boolean handedOffUncancelled(AgentTask task) {
    return task.getStatus() != null
        && task.getStatus().getPhase() == AgentTaskPhase.Dispatched
        && task.getSpec() != null
        && !Boolean.TRUE.equals(task.getSpec().getCancel());
  }

  private static boolean hasFinished(AgentTask task) {
    var status = task.getStatus();
    return status != null && status.getPhase() != null && status.getPhase().isTerminal();
  }

  private synchronized void forget(String name) {
    reserved.remove(name);
    unfinished.remove(name);
  }
}
