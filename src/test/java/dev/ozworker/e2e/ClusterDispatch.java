package dev.ozworker.e2e;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Offers tasks to a pool as Oz does: a worker gets no more at a time than its {@code
 * max_concurrent_tasks} (a worker rejects an assignment beyond it, and Oz keeps the task queued);
 * each result frees a slot for the next task. A rejected assignment is offered again to the workers
 * with a free slot after {@link #REOFFER}: a worker's slots also hold tasks Oz never sees (applied
 * by hand, adopted from a vanished replica, or finished in Oz's eyes before the worker's own cache
 * says so), so a rejection can come after the last result that would have freed a slot. Workers may
 * come and go: a worker that connects is offered work, one whose connection ends is offered nothing
 * more, and a task's result counts whichever replica sends it (the one that adopted the task of a
 * vanished one); an assignment a worker took with it unclaimed is offered again, to it too when it
 * reconnected before its old connection was seen to close. Runs on the fake Oz server's thread, as
 * each frame and connection arrives, and on its own timer for the offers made again.
 */
final class ClusterDispatch implements Consumer<Frame>, AutoCloseable {
  /** How long a rejected assignment stays queued before it is offered again. */
  static final Duration REOFFER = Duration.ofMillis(250);

  private record Offer(String taskId, ObjectNode assignment) {}

  private final FakeOzServer oz;
  private final int capacity;
  private final Deque<Offer> queued = new ArrayDeque<>();
  private final Map<String, Integer> inFlight = new HashMap<>();
  private final Map<String, Offer> offers = new HashMap<>();
  private final Map<String, String> assignedTo = new HashMap<>();
  private final Set<String> workers = new LinkedHashSet<>();
  private final Set<String> claimed = new HashSet<>();
  private final Set<String> ended = new HashSet<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          task -> Thread.ofPlatform().daemon().name("oz-reoffer").unstarted(task));
  private boolean reofferDue;
  private int rejections;
  private int stallsBroken;

  ClusterDispatch(FakeOzServer oz, int capacity) {
    this.oz = oz;
    this.capacity = capacity;
  }

  synchronized void queue(String taskId, ObjectNode assignment) {
    Offer offer = new Offer(taskId, assignment);
    offers.put(taskId, offer);
    queued.addLast(offer);
  }

  /** Starts offering the queued tasks to {@code connected}, and to each worker that connects. */
  synchronized void start(List<String> connected) {
    oz.onFrame(this);
    oz.onDisconnect(this::disconnected);
    connected.forEach(this::connected);
  }

  /** A worker connected: it is offered work up to its capacity. */
  synchronized void connected(String worker) {
    if (workers.add(worker)) {
      fill(worker);
    }
  }

  private synchronized void disconnected(String worker) {
    // A worker that reconnected before its old connection was seen to close is still there.
    if (!oz.isConnected(worker)) {
      workers.remove(worker);
    }
    inFlight.remove(worker);
    List<String> unclaimed =
        assignedTo.entrySet().stream()
            .filter(e -> e.getValue().equals(worker))
            .map(Map.Entry::getKey)
            .filter(taskId -> !claimed.contains(taskId) && !ended.contains(taskId))
            .toList();
    for (String taskId : unclaimed) {
      assignedTo.remove(taskId);
      queued.addLast(offers.get(taskId));
    }
    fillAll();
  }

  @Override
  public synchronized void accept(Frame frame) {
    String taskId = frame.taskId();
    String worker = assignedTo.get(taskId);
    switch (frame.type()) {
      case "task_claimed" -> claimed.add(taskId);
      case "task_completed", "task_failed" -> {
        if (ended.add(taskId) && worker != null && inFlight.containsKey(worker)) {
          inFlight.merge(worker, -1, Integer::sum);
        }
        fillAll();
      }
      case "task_rejected" -> {
        if (!frame.workerId().equals(worker)) {
          return;
        }
        rejections++;
        if (inFlight.containsKey(worker)) {
          inFlight.merge(worker, -1, Integer::sum);
        }
        assignedTo.remove(taskId);
        queued.addLast(offers.get(taskId));
        if (!reofferDue && !timer.isShutdown()) {
          reofferDue = true;
          timer.schedule(this::offerAgain, REOFFER.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
      default -> {}
    }
  }

  private synchronized void offerAgain() {
    reofferDue = false;
    if (!queued.isEmpty() && ended.containsAll(assignedTo.keySet())) {
      // no result is owed: without this offer, the queue would wait forever
      stallsBroken++;
    }
    fillAll();
  }

  /** Offers queued tasks to every worker, each up to its capacity. */
  private void fillAll() {
    List.copyOf(workers).forEach(this::fill);
  }

  private void fill(String worker) {
    while (!queued.isEmpty()
        && workers.contains(worker)
        && inFlight.getOrDefault(worker, 0) < capacity) {
      Offer offer = queued.removeFirst();
      try {
        oz.assign(worker, offer.assignment());
      } catch (IllegalStateException notConnected) {
        queued.addFirst(offer);
        workers.remove(worker);
        return;
      }
      assignedTo.put(offer.taskId(), worker);
      inFlight.merge(worker, 1, Integer::sum);
    }
  }

  /** The worker a task was last offered to. */
  synchronized String worker(String taskId) {
    return assignedTo.get(taskId);
  }

  /**
   * What is queued, offered and in flight, for a test that did not settle: the counts first, the
   * long lists of task ids last.
   */
  synchronized String describe() {
    return "workers %s; in flight %s; claimed %d, ended %d; offered but not ended %s; queued %s"
        .formatted(
            workers,
            inFlight,
            claimed.size(),
            ended.size(),
            assignedTo.entrySet().stream().filter(e -> !ended.contains(e.getKey())).toList(),
            queued.stream().map(Offer::taskId).toList());
  }

  synchronized int rejections() {
    return rejections;
  }

  /**
   * How many times the queue moved only because rejected assignments are offered again: no
   * assignment was awaiting its result, so no result would have freed a slot.
   */
  synchronized int stallsBroken() {
    return stallsBroken;
  }

  /** Stops offering rejected assignments again. */
  @Override
  public synchronized void close() {
    timer.shutdownNow();
  }
}
