package dev.ozworker.backend.kubernetes;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.task.TaskSpec;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * One task Pod the backend follows: its listener, its log, the last state of the Pod it saw, and
 * whether the worker asked it to stop. The informer's events, the creating thread and {@code
 * cancel} meet here; the listener hears {@code running} at most once and {@code finished} once, and
 * nothing after the backend stopped following the run.
 */
final class PodRun {
  private final TaskSpec spec;
  private final TaskListener listener;
  private final TaskLog log;
  private final String podName;
  private Pod lastSeen;
  private boolean created;
  private boolean running;
  private boolean outputFollowed;
  private Duration cancelGrace;
  private boolean finishing;
  private boolean finished;
  private boolean detached;
  private TaskOutcome outcome;
  private Instant cannotCreateSince;
  private LogWatch output;
  private final CompletableFuture<Void> outputEnded = new CompletableFuture<>();

  PodRun(TaskSpec spec, TaskListener listener, TaskLog log) {
    this.spec = spec;
    this.listener = listener;
    this.log = log;
    this.podName = TaskPods.podName(spec.runId());
  }

  TaskSpec spec() {
    return spec;
  }

  TaskLog log() {
    return log;
  }

  TaskListener listener() {
    return listener;
  }

  String podName() {
    return podName;
  }

  String namespace() {
    return spec.object().namespace();
  }

  /**
   * Records that the Pod exists.
   *
   * @return the grace of a cancel that arrived while it was being created, to delete it now
   */
  synchronized Optional<Duration> created() {
    created = true;
    return Optional.ofNullable(cancelGrace);
  }

  /**
   * Asks the run to stop.
   *
   * @return true when the Pod is to be deleted now; false when it does not exist yet (its creation
   *     sees the request) or the run is over
   */
  synchronized boolean cancel(Duration grace) {
    if (cancelGrace != null || finishing || finished || detached) {
      return false;
    }
    cancelGrace = grace;
    return created;
  }

  synchronized boolean cancelled() {
    return cancelGrace != null;
  }

  synchronized boolean isOver() {
    return finishing || finished || detached;
  }

  /** The Pod as last seen, if it was seen. */
  synchronized Optional<Pod> lastSeen() {
    return Optional.ofNullable(lastSeen);
  }

  /**
   * Records a state of the Pod.
   *
   * @return whether the agent has just been seen running for the first time
   */
  synchronized boolean seen(Pod pod) {
    lastSeen = pod;
    created = true;
    if (running || finishing || finished || detached || !TaskPodState.taskStarted(pod)) {
      return false;
    }
    running = true;
    return true;
  }

  /**
   * How long the kubelet has been unable to create one of the Pod's containers, counted from the
   * first time this run saw it; zero when it can (and the count starts again).
   */
  synchronized Duration cannotCreateFor(boolean cannotCreate, Instant now) {
    if (!cannotCreate) {
      cannotCreateSince = null;
      return Duration.ZERO;
    }
    if (cannotCreateSince == null) {
      cannotCreateSince = now;
    }
    return Duration.between(cannotCreateSince, now);
  }

  /** Whether the task container's output is to be followed now: once, when it has started. */
  synchronized boolean followOutput() {
    if (outputFollowed || detached || lastSeen == null || !TaskPodState.taskStarted(lastSeen)) {
      return false;
    }
    outputFollowed = true;
    return true;
  }

  /** The stream following the task container's output, or null when it could not be opened. */
  void following(LogWatch watch) {
    boolean closeNow;
    synchronized (this) {
      output = watch;
      closeNow = detached || finished;
    }
    if (watch == null) {
      outputEnded.complete(null);
      return;
    }
    watch.onClose().whenComplete((error, thrown) -> outputEnded.complete(null));
    if (closeNow) {
      watch.close();
    }
  }

  /**
   * Waits until the task container's output is in the log: the kubelet ends the followed stream
   * when the container ends. Returns at once when the agent never started; after {@code atMost} the
   * log says that the rest of the output could not be read.
   */
  void outputDrained(Duration atMost) {
    synchronized (this) {
      if (!outputFollowed) {
        return;
      }
    }
    try {
      outputEnded.get(atMost.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.line(
          "(the rest of the task container's output did not arrive within "
              + atMost.toSeconds()
              + " s)");
    } catch (ExecutionException e) {
      // completed normally only
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Claims the right to end the run, so that only one caller collects its output and reports it.
   *
   * @return false when the run is ending or ended already
   */
  synchronized boolean beginFinish() {
    if (finishing || finished || detached) {
      return false;
    }
    finishing = true;
    return true;
  }

  /** Ends the run with an outcome made from the log's tail; once {@link #beginFinish} was won. */
  void finish(Function<String, TaskOutcome> of) {
    TaskOutcome ended;
    synchronized (this) {
      if (finished || detached) {
        return;
      }
      finished = true;
    }
    closeOutput();
    log.close();
    ended = of.apply(log.tail());
    synchronized (this) {
      outcome = ended;
    }
    listener.finished(ended);
  }

  /**
   * Ends the run as its Pod ended; once {@link #beginFinish} was won and the output drained.
   *
   * @param failure what the Pod's status says went wrong, if anything
   * @param succeeded whether the task container exited 0
   */
  void ended(Optional<TaskFailure> failure, boolean succeeded) {
    if (failure.isPresent()) {
      log.line(failure.get().reason().wireName() + ": " + failure.get().getMessage());
      finish(tail -> new TaskOutcome.Failed(failure.get(), tail));
    } else if (succeeded) {
      finish(TaskOutcome.Succeeded::new);
    } else {
      TaskFailure unexplained =
          new TaskFailure(
              FailureReason.JOB_FAILED,
              "Pod " + podName + " ended without the task container succeeding");
      finish(tail -> new TaskOutcome.Failed(unexplained, tail));
    }
  }

  /** Ends the run with a failure found before the Pod ran. */
  void failed(TaskFailure failure) {
    if (!beginFinish()) {
      return;
    }
    log.line(failure.reason().wireName() + ": " + failure.getMessage());
    finish(
        tail ->
            cancelled() ? new TaskOutcome.Cancelled(tail) : new TaskOutcome.Failed(failure, tail));
  }

  /** How the run ended, once it did. */
  synchronized Optional<TaskOutcome> outcome() {
    return Optional.ofNullable(outcome);
  }

  /** Stops following without telling the listener: the worker is going away, the Pod is not. */
  void detach() {
    synchronized (this) {
      detached = true;
    }
    closeOutput();
    log.close();
  }

  private void closeOutput() {
    LogWatch open;
    synchronized (this) {
      open = output;
    }
    if (open != null) {
      open.close();
    }
  }
}
