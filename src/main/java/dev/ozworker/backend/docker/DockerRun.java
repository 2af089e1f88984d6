package dev.ozworker.backend.docker;

import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.task.TaskSpec;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One run the backend watches: its listener, its log, its container once created, and whether it
 * was asked to stop. The preparation thread, the engine's callbacks and {@code cancel} meet here;
 * the listener hears {@code finished} once, and never after the backend stopped watching.
 */
final class DockerRun {
  private final TaskSpec spec;
  private final TaskListener listener;
  private final TaskLog log;
  private final ContainerOutput output;
  private final List<Closeable> streams = new ArrayList<>();
  private String containerId;
  private boolean started;
  private Duration cancelGrace;
  private boolean finished;
  private boolean detached;

  DockerRun(TaskSpec spec, TaskListener listener, TaskLog log) {
    this.spec = spec;
    this.listener = listener;
    this.log = log;
    this.output = new ContainerOutput(log);
  }

  TaskSpec spec() {
    return spec;
  }

  TaskLog log() {
    return log;
  }

  /** The container's output as far as the log has it. */
  ContainerOutput output() {
    return output;
  }

  TaskListener listener() {
    return listener;
  }

  synchronized Optional<String> containerId() {
    return Optional.ofNullable(containerId);
  }

  /**
   * Records the created container.
   *
   * @return false when a cancel arrived first: the container must not be started
   */
  synchronized boolean created(String id) {
    containerId = id;
    return cancelGrace == null && !detached;
  }

  /**
   * Records that the container runs.
   *
   * @return the grace of a cancel that arrived while it was being started, to stop it now
   */
  synchronized Optional<Duration> started() {
    started = true;
    return Optional.ofNullable(cancelGrace);
  }

  /**
   * Asks the run to stop. Closes a pull in progress.
   *
   * @return the container to stop, when it was started; otherwise preparation sees the request
   */
  Optional<String> cancel(Duration grace) {
    List<Closeable> open;
    String toStop;
    synchronized (this) {
      if (cancelGrace != null || finished) {
        return Optional.empty();
      }
      cancelGrace = grace;
      toStop = started ? containerId : null;
      open = toStop == null ? List.copyOf(streams) : List.of();
    }
    open.forEach(DockerRun::closeQuietly);
    return Optional.ofNullable(toStop);
  }

  synchronized boolean cancelled() {
    return cancelGrace != null;
  }

  synchronized boolean isOver() {
    return finished || detached;
  }

  /** A stream to close on cancel (a pull) or on detach (waits and logs); null ends the last. */
  void stream(Closeable stream) {
    boolean closeNow;
    synchronized (this) {
      if (stream == null) {
        return;
      }
      streams.add(stream);
      closeNow = detached;
    }
    if (closeNow) {
      closeQuietly(stream);
    }
  }

  /** Ends the run with the container's exit, unless it ended already. */
  void exited(ContainerExit exit) {
    finish(tail -> exit.outcome(cancelled(), tail));
  }

  /** Ends the run with a failure, or as cancelled when a cancel caused it. */
  void failed(TaskFailure failure) {
    log.line(failure.reason().wireName() + ": " + failure.getMessage());
    finish(
        tail ->
            cancelled() ? new TaskOutcome.Cancelled(tail) : new TaskOutcome.Failed(failure, tail));
  }

  /** Ends a run that was stopped before its container ran. */
  void cancelledBeforeStart() {
    finish(TaskOutcome.Cancelled::new);
  }

  /** Stops watching without telling the listener: the worker is going away, the agent is not. */
  void detach() {
    List<Closeable> open;
    synchronized (this) {
      detached = true;
      open = List.copyOf(streams);
    }
    open.forEach(DockerRun::closeQuietly);
    log.close();
  }

  private void finish(java.util.function.Function<String, TaskOutcome> outcome) {
    List<Closeable> open;
    synchronized (this) {
      if (finished || detached) {
        return;
      }
      finished = true;
      open = List.copyOf(streams);
    }
    log.close();
    open.forEach(DockerRun::closeQuietly);
    listener.finished(outcome.apply(log.tail()));
  }

  private static void closeQuietly(Closeable stream) {
    try {
      stream.close();
    } catch (IOException | RuntimeException ignored) {
      // a stream that fails to close is over either way
    }
  }
}
