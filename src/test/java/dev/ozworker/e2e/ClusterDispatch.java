package dev.ozworker.e2e;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Offers tasks to a pool as Oz does: a worker gets no more at a time than its {@code
 * max_concurrent_tasks} (a worker rejects an assignment beyond it, and Oz keeps the task queued);
 * each result frees a slot for the next task, and a rejected assignment waits for the next free
 * slot of any worker. Runs on the fake Oz server's thread, as each frame arrives.
 */
final class ClusterDispatch implements Consumer<Frame> {
  private record Offer(String taskId, ObjectNode assignment) {}

  private final FakeOzServer oz;
  private final int capacity;
  private final Deque<Offer> queued = new ArrayDeque<>();
  private final Map<String, Integer> inFlight = new HashMap<>();
  private final Map<String, Offer> offers = new HashMap<>();
  private final Map<String, String> assignedTo = new HashMap<>();
  private int rejections;

  ClusterDispatch(FakeOzServer oz, int capacity) {
    this.oz = oz;
    this.capacity = capacity;
  }

  synchronized void queue(String taskId, ObjectNode assignment) {
    Offer offer = new Offer(taskId, assignment);
    offers.put(taskId, offer);
    queued.addLast(offer);
  }

  /** Starts offering the queued tasks to {@code workers}. */
  synchronized void start(List<String> workers) {
    oz.onFrame(this);
    workers.forEach(this::fill);
  }

  @Override
  public synchronized void accept(Frame frame) {
    String worker = frame.workerId();
    if (!worker.equals(assignedTo.get(frame.taskId()))) {
      return;
    }
    switch (frame.type()) {
      case "task_completed", "task_failed" -> {
        inFlight.merge(worker, -1, Integer::sum);
        fill(worker);
      }
      case "task_rejected" -> {
        rejections++;
        inFlight.merge(worker, -1, Integer::sum);
        assignedTo.remove(frame.taskId());
        queued.addLast(offers.get(frame.taskId()));
      }
      default -> {}
    }
  }

  private void fill(String worker) {
    while (!queued.isEmpty() && inFlight.getOrDefault(worker, 0) < capacity) {
      Offer offer = queued.removeFirst();
      assignedTo.put(offer.taskId(), worker);
      inFlight.merge(worker, 1, Integer::sum);
      oz.assign(worker, offer.assignment());
    }
  }

  /** The worker a task was last offered to. */
  synchronized String worker(String taskId) {
    return assignedTo.get(taskId);
  }

  synchronized int rejections() {
    return rejections;
  }
}
