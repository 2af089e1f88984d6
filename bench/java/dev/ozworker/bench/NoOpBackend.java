package dev.ozworker.bench;

import dev.ozworker.api.BackendRef;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.BackendKind;
import dev.ozworker.task.TaskSpec;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A backend whose every run succeeds at once, reporting from its own thread as a real backend does:
 * what is left of a task is the worker's own bookkeeping, which throughput measures.
 */
public final class NoOpBackend implements Backend {
  private final ExecutorService news = Executors.newSingleThreadExecutor();

  @Override
  public BackendKind kind() {
    return BackendKind.DIRECT;
  }

  @Override
  public BackendRef start(TaskSpec spec, TaskListener listener) {
    news.execute(
        () -> {
          listener.running();
          listener.finished(new TaskOutcome.Succeeded(""));
        });
    return BackendRef.planned(kind().configName(), spec.runId());
  }

  @Override
  public void reattach(TaskSpec spec, BackendRef ref, TaskListener listener) throws TaskFailure {
    news.execute(() -> listener.finished(new TaskOutcome.Succeeded("")));
  }

  @Override
  public void cancel(BackendRef ref, Duration grace) {}

  @Override
  public CompletionStage<Optional<TaskFailure>> cleanup(BackendRef ref) {
    return CompletableFuture.completedFuture(Optional.empty());
  }

  @Override
  public void close() {
    news.shutdownNow();
  }
}
