package dev.ozworker.intake;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs work about one task in submission order, and work about different tasks at once: a
 * cancellation that arrives while its assignment is being stored waits for it.
 */
final class TaskSequencer {
  private static final Logger LOG = LoggerFactory.getLogger(TaskSequencer.class);

  private final Executor executor;
  private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

  TaskSequencer(Executor executor) {
    this.executor = executor;
  }

  void submit(String taskId, Runnable work) {
    CompletableFuture<Void> next =
        tails.compute(
            taskId,
            (id, previous) ->
                (previous == null ? CompletableFuture.<Void>completedFuture(null) : previous)
                    .thenRunAsync(() -> run(work), executor));
    next.whenComplete((ignored, error) -> tails.remove(taskId, next));
  }

  private static void run(Runnable work) {
    try {
      work.run();
    } catch (RuntimeException e) {
      LOG.error("handling a message from Oz failed; the worker keeps serving", e);
    }
  }
}
