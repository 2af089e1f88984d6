package dev.ozworker.backend;

import dev.ozworker.api.BackendRef;
import dev.ozworker.config.BackendKind;
import dev.ozworker.task.TaskSpec;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Runs resolved tasks: containers on a Docker engine, or processes beside the worker. The
 * controller drives every task through it; nothing here knows Kubernetes or Oz.
 *
 * <p>The contract, which every implementation keeps:
 *
 * <ul>
 *   <li>No method blocks on the task. {@link #start} and {@link #reattach} return once the backend
 *       has taken the task; what happens later reaches the {@link TaskListener}: {@link
 *       TaskListener#running()} when the agent runs, then exactly one {@link
 *       TaskListener#finished(TaskOutcome)}.
 *   <li>Failures carry a {@link TaskFailure} with the Oz failure reason; the backend classifies,
 *       the controller only records.
 *   <li>{@link #cancel} asks the agent to stop (SIGTERM, then kill after {@code grace}); the run
 *       then finishes as {@link TaskOutcome.Cancelled}, unless it had finished already.
 *   <li>{@link #cleanup} runs teardown and removes what the run left (container, workspace); the
 *       controller calls it exactly once per run, after the run finished, also for a run found
 *       after a restart. It must tolerate a run that never got far.
 *   <li>Everything the backend needs to find a run again lives in the {@link BackendRef}, which the
 *       controller stores in the AgentTask's status.
 *   <li>Output that reaches a {@link TaskOutcome} is already cut to a tail; the controller redacts
 *       secret values before storing it.
 * </ul>
 */
public interface Backend extends AutoCloseable {

  /** Which backend this is; AgentTasks name it in {@code spec.backend}. */
  BackendKind kind();

  /**
   * Whether a run goes on when the worker process ends, so that a later worker can {@link
   * #reattach} to it: true for containers, false for processes that die with the worker's pod. A
   * worker shutting down hands such runs over instead of stopping them.
   */
  default boolean runsOutliveWorker() {
    return false;
  }

  /**
   * Starts preparing and running the task. Returns at once with the run's reference; image pulls,
   * setup commands and the agent itself proceed in the background.
   *
   * @throws TaskFailure when the task cannot even be taken (the listener is then never called)
   */
  BackendRef start(TaskSpec spec, TaskListener listener) throws TaskFailure;

  /**
   * Resumes watching a run started by an earlier worker process with the same reference. The
   * listener hears {@code running()} if the agent still runs, and {@code finished} when it ends (at
   * once if it already ended and its result can still be read).
   *
   * @param spec the task, resolved again from its AgentTask
   * @param ref what {@link #start} returned, or only the planned reference when the worker stopped
   *     before it was stored
   * @throws TaskFailure when the run cannot be found or its result cannot be read; the message says
   *     what was looked for
   */
  void reattach(TaskSpec spec, BackendRef ref, TaskListener listener) throws TaskFailure;

  /** Asks the run to stop: SIGTERM first, a kill after {@code grace}. Returns at once. */
  void cancel(BackendRef ref, Duration grace);

  /**
   * Runs teardown and removes the run's container or workspace (unless cleanup is configured off).
   * Completes with the teardown's failure, if any; never exceptionally.
   */
  CompletionStage<Optional<TaskFailure>> cleanup(BackendRef ref);

  /**
   * Tells the backend where failures it meets outside any run go, such as a {@code cancel_command}
   * that failed after its task was handed off: the worker counts them in its metrics. Called once,
   * before the first task.
   */
  default void reportFailuresTo(java.util.function.Consumer<TaskFailure> sink) {}

  /** Stops watching all runs and releases the backend's clients; running agents are left alone. */
  @Override
  void close();
}
