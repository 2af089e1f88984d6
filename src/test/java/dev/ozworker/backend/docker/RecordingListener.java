package dev.ozworker.backend.docker;

import dev.ozworker.api.BackendRef;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskOutcome;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what a backend tells it, and when the first outcome arrived (monotonic). */
final class RecordingListener implements TaskListener {
  final AtomicInteger running = new AtomicInteger();
  final List<TaskOutcome> outcomes = new CopyOnWriteArrayList<>();
  volatile long finishedAtNanos;
  volatile BackendRef located;

  @Override
  public void located(BackendRef ref) {
    located = ref;
  }

  @Override
  public void running() {
    running.incrementAndGet();
  }

  @Override
  public void finished(TaskOutcome outcome) {
    if (outcomes.isEmpty()) {
      finishedAtNanos = System.nanoTime();
    }
    outcomes.add(outcome);
  }

  TaskOutcome outcome() {
    return outcomes.get(0);
  }
}
