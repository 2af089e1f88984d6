package dev.ozworker.runtime;

import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A graceful shutdown of a running worker, timed by a {@link DrainPlan}: take no new tasks, let
 * running ones finish, stop the rest as {@code graceful_shutdown} and wait for their teardown, send
 * every result still owed to Oz, then close the link with code 1000. With a real API server,
 * running containers are not stopped but handed over: they outlive the worker, and the replica that
 * adopts their tasks (or this worker id, started again) reattaches to them. With the embedded API
 * server the tasks' state goes with the process, so nothing could adopt them: there the containers
 * are stopped and removed like any other run and reported {@code graceful_shutdown}, as the
 * reference worker does.
 */
public final class Drain {
  private static final Logger LOG = LoggerFactory.getLogger(Drain.class);
  private static final Duration POLL = Duration.ofMillis(50);

  private final WorkerRuntime worker;
  private final Clock clock;
  private final Poll poll;

  private final boolean handOver;

  /** A drain that hands running containers over to the replica that adopts their tasks. */
  public Drain(WorkerRuntime worker, Clock clock) {
    this(worker, clock, true);
  }

  /**
   * @param handOver whether running containers are left for adoption; false when nothing can adopt
   *     them (the embedded API server's state ends with the process)
   */
  public Drain(WorkerRuntime worker, Clock clock, boolean handOver) {
    this.worker = worker;
    this.clock = clock;
    this.poll = new Poll(clock, POLL);
    this.handOver = handOver;
  }

  /** What was left at each step, for the log and for tests. */
  public record Outcome(int stoppedTasks, int handedOver, int tasksLeft, long unreportedResults) {}

  /** Drains within {@code grace} of now and closes the worker; the caller then ends the process. */
  public Outcome run(Duration grace, Duration cancelGracePeriod) {
    DrainPlan plan = DrainPlan.of(clock.instant(), grace, cancelGracePeriod);
    LOG.info(
        "shutting down: taking no new tasks; {} running may finish until {}",
        worker.activeTasks(),
        plan.finishBy());
    worker.stopTaking(handOver);
    int stopped = 0;
    if (!poll.until(worker::idle, plan.finishBy())) {
      stopped = worker.activeTasks() - worker.handedOver();
      LOG.warn(
          "shutting down: stopping {} unfinished tasks as graceful_shutdown (killed after {})",
          stopped,
          plan.stopGrace());
      worker.stopRuns(plan.stopGrace());
      poll.until(worker::idle, plan.stoppedBy());
    }
    int handedOver = worker.handedOver();
    if (handedOver > 0) {
      LOG.info(
          "shutting down: leaving {} running containers to the replica that adopts their tasks",
          handedOver);
    }
    int left = worker.activeTasks() - handedOver;
    if (left > 0) {
      LOG.warn("shutting down: {} tasks did not finish their teardown in time", left);
    }
    poll.until(() -> worker.unreportedResults() == 0, plan.flushedBy());
    long unreported = worker.unreportedResults();
    if (unreported > 0) {
      LOG.warn(
          "shutting down with {} results not delivered to Oz: they are sent when a worker"
              + " with this id starts again",
          unreported);
    }
    worker.close();
    LOG.info("shut down: link to Oz closed");
    return new Outcome(stopped, handedOver, left, unreported);
  }
}
