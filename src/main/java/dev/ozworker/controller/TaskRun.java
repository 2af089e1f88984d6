package dev.ozworker.controller;

import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.observe.Redactor;
import dev.ozworker.task.TaskSpec;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task handed to a backend by this worker process: what the backend said so far. The truth for
 * the reconciler while the process lives; the AgentTask's status is written from it. Backend
 * threads call the listener methods; each wakes the reconciler for the task.
 */
final class TaskRun implements TaskListener {
  private static final Logger LOG = LoggerFactory.getLogger(TaskRun.class);

  /** Why the worker asked the backend to stop the run. */
  enum StopCause {
    /** {@code spec.cancel} was set. */
    CANCEL,
    /** The run outlived its timeout. */
    TIMEOUT,
    /** The AgentTask is being deleted. */
    DELETE,
    /** The worker is shutting down and the run did not finish within the drain. */
    SHUTDOWN
  }

  private final ResourceID id;
  private final Backend backend;
  private final TaskSpec spec;
  private final Redactor redactor;
  private final Consumer<ResourceID> wake;
  private final Clock clock;
  private final Instant handedOver;
  private final boolean finishedEarlier;
  private volatile BackendRef ref;
  private volatile boolean located;
  private volatile boolean started;
  private volatile Instant runningSince;
  private final AtomicReference<TaskOutcome> outcome = new AtomicReference<>();
  private final AtomicReference<StopCause> stop = new AtomicReference<>();
  private final AtomicReference<CompletableFuture<Optional<TaskFailure>>> cleanup =
      new AtomicReference<>();

  private TaskRun(
      ResourceID id,
      Backend backend,
      TaskSpec spec,
      BackendRef ref,
      Instant handedOver,
      boolean finishedEarlier,
      Consumer<ResourceID> wake,
      Clock clock) {
    this.id = id;
    this.backend = backend;
    this.spec = spec;
    this.redactor = spec == null ? Redactor.none() : new Redactor(spec.env().secretValues());
    this.ref = ref;
    this.handedOver = handedOver;
    this.finishedEarlier = finishedEarlier;
    this.wake = wake;
    this.clock = clock;
  }

  /** A run about to be handed to the backend; {@link #start()} hands it over. */
  static TaskRun planned(
      ResourceID id, Backend backend, TaskSpec spec, Consumer<ResourceID> wake, Clock clock) {
    BackendRef planned = BackendRef.planned(backend.kind().configName(), spec.runId());
    return new TaskRun(id, backend, spec, planned, clock.instant(), false, wake, clock);
  }

  /**
   * A run an earlier worker process started; {@link #reattach()} resumes watching it.
   *
   * @param handedOver when it was handed to the backend, as the status recorded it
   */
  static TaskRun earlier(
      ResourceID id,
      Backend backend,
      TaskSpec spec,
      BackendRef ref,
      Instant handedOver,
      Consumer<ResourceID> wake,
      Clock clock) {
    TaskRun run = new TaskRun(id, backend, spec, ref, handedOver, false, wake, clock);
    run.started = true;
    return run;
  }

  /** A run that finished before a restart and still needs its cleanup. */
  static TaskRun finishedEarlier(
      ResourceID id, Backend backend, BackendRef ref, Consumer<ResourceID> wake, Clock clock) {
    TaskRun run = new TaskRun(id, backend, null, ref, clock.instant(), true, wake, clock);
    run.started = true;
    return run;
  }

  /** Hands the run to the backend. A backend that refuses it finishes the run at once. */
  void start() {
    started = true;
    try {
      BackendRef returned = backend.start(spec, this);
      synchronized (this) {
        if (!located) { // a reference the backend reported meanwhile knows more
          ref = returned;
        }
      }
    } catch (TaskFailure failure) {
      finished(new TaskOutcome.Failed(failure, ""));
    } catch (RuntimeException e) {
      finished(new TaskOutcome.Failed(unexpected("start", e), ""));
    }
  }

  /** Resumes watching a run of an earlier process; one that cannot be found finishes failed. */
  void reattach() {
    try {
      backend.reattach(spec, ref, this);
    } catch (TaskFailure failure) {
      finished(new TaskOutcome.Failed(failure, ""));
    } catch (RuntimeException e) {
      finished(new TaskOutcome.Failed(unexpected("reattach", e), ""));
    }
  }

  /**
   * Asks the backend to stop the run, once; later requests keep the first cause.
   *
   * @return true when this call asked
   */
  boolean stop(StopCause cause, Duration grace) {
    if (isOver() || !stop.compareAndSet(null, cause)) {
      return false;
    }
    backend.cancel(ref, grace);
    return true;
  }

  /** Whether {@link #cleanUpOnce} was called. */
  boolean cleanupStarted() {
    return cleanup.get() != null;
  }

  /** Starts the backend's cleanup (teardown and removal), exactly once per run. */
  void cleanUpOnce() {
    CompletableFuture<Optional<TaskFailure>> done = new CompletableFuture<>();
    if (!cleanup.compareAndSet(null, done)) {
      return;
    }
    CompletableFuture.completedFuture(ref)
        .thenCompose(backend::cleanup)
        .whenComplete(
            (failure, error) -> {
              Optional<TaskFailure> result =
                  error == null ? failure : Optional.of(unexpected("cleanup", error));
              result.ifPresent(
                  teardown ->
                      LOG.warn(
                          "teardown of AgentTask {} failed: {}",
                          id.getName(),
                          redactor.redact(teardown.getMessage())));
              done.complete(result);
              wake.accept(id);
            });
  }

  @Override
  public void located(BackendRef where) {
    synchronized (this) {
      ref = where;
      located = true;
    }
    wake.accept(id);
  }

  @Override
  public void running() {
    if (runningSince == null) {
      runningSince = clock.instant();
    }
    wake.accept(id);
  }

  @Override
  public void finished(TaskOutcome result) {
    outcome.compareAndSet(null, result);
    wake.accept(id);
  }

  /** Handed to the backend (or found from an earlier process). */
  /**
   * A run the worker may leave behind when it shuts down, for another to reattach: its backend's
   * runs outlive the worker and it is past preparing, so there is something to find.
   */
  boolean canBeHandedOver() {
    return backend.runsOutliveWorker() && isRunning() && !isOver();
  }

  boolean started() {
    return started;
  }

  boolean isRunning() {
    return runningSince != null;
  }

  /** The run is over: its outcome arrived, or it ended before a restart. */
  boolean isOver() {
    return finishedEarlier || outcome.get() != null;
  }

  /** Its outcome; empty while it runs and for a run that ended before a restart. */
  Optional<TaskOutcome> outcome() {
    return Optional.ofNullable(outcome.get());
  }

  Optional<StopCause> stopCause() {
    return Optional.ofNullable(stop.get());
  }

  /** Cleanup's result, once it is done: a teardown failure, or empty. */
  Optional<Optional<TaskFailure>> cleanedUp() {
    CompletableFuture<Optional<TaskFailure>> done = cleanup.get();
    return done != null && done.isDone() ? Optional.of(done.join()) : Optional.empty();
  }

  /** When the timeout ends the run; empty without a timeout. */
  Optional<Instant> deadline() {
    return spec == null || spec.timeout().isZero()
        ? Optional.empty()
        : Optional.of(handedOver.plus(spec.timeout()));
  }

  BackendRef ref() {
    return ref;
  }

  TaskSpec spec() {
    return spec;
  }

  Instant handedOver() {
    return handedOver;
  }

  Redactor redactor() {
    return redactor;
  }

  private TaskFailure unexpected(String step, Throwable error) {
    return new TaskFailure(
        FailureReason.UNKNOWN,
        null,
        "the "
            + backend.kind()
            + " backend failed to "
            + step
            + ": "
            + redactor.redact(error.toString()),
        error);
  }
}
