package dev.ozworker.controller;

import static dev.ozworker.controller.AgentTaskConditions.ACCEPTED;
import static dev.ozworker.controller.AgentTaskConditions.COMPLETED;
import static dev.ozworker.controller.AgentTaskConditions.QUEUED;
import static dev.ozworker.controller.AgentTaskConditions.RECONCILE_ERROR;
import static dev.ozworker.controller.AgentTaskConditions.STARTED;
import static dev.ozworker.controller.AgentTaskConditions.TORN_DOWN;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.GoDuration;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.util.Optional;

/**
 * The next status of an AgentTask, from its current one and what the worker knows. Pure apart from
 * the clock: each method returns a new status and leaves the task alone. A final phase, once
 * written, is never rewritten; only the TornDown condition may follow it, and ReconcileError
 * turning false after the reconcile that finished the task had failed before.
 */
final class TaskStatuses {
  /** How much of the agent's output the status keeps. */
  static final int LOG_TAIL_CHARS = 4096;

  private final String workerId;
  private final Optional<String> podName;
  private final Optional<String> nodeName;
  private final Clock clock;

  TaskStatuses(String workerId, Clock clock) {
    this(workerId, Optional.empty(), Optional.empty(), clock);
  }

  /**
   * @param podName the worker's pod, written with the worker id when it runs in one
   * @param nodeName the worker's node, likewise
   */
  TaskStatuses(String workerId, Optional<String> podName, Optional<String> nodeName, Clock clock) {
    this.workerId = workerId;
    this.podName = podName;
    this.nodeName = nodeName;
    this.clock = clock;
  }

  /** Owned by this worker, waiting for a slot. */
  AgentTaskStatus queued(AgentTask task, int inUse, int max) {
    AgentTaskStatus next = owned(task, AgentTaskPhase.Pending);
    String why = "queued: " + inUse + "/" + max + " tasks running on worker " + workerId;
    next.setMessage(why);
    condition(task, next, ACCEPTED, true, "Assigned", "worker " + workerId + " runs this task");
    condition(task, next, QUEUED, true, "AtCapacity", why);
    return next;
  }

  /** The Secret named by {@code spec.envFrom} does not exist (yet). */
  AgentTaskStatus waitingForSecret(AgentTask task, String secretName) {
    AgentTaskStatus next = owned(task, AgentTaskPhase.Pending);
    String why =
        "Secret "
            + secretName
            + " (spec.envFrom.secretName) not found in namespace "
            + task.getMetadata().getNamespace()
            + ": create it, or remove spec.envFrom";
    next.setMessage(why);
    condition(task, next, ACCEPTED, false, "SecretNotFound", why);
    return next;
  }

  /** The task cannot run as written; fails without reaching a backend. */
  AgentTaskStatus invalid(AgentTask task, String problem) {
    return invalid(task, problem, FailureReason.UNKNOWN);
  }

  /** As {@link #invalid(AgentTask, String)}, with the reason Oz is told. */
  AgentTaskStatus invalid(AgentTask task, String problem, FailureReason reason) {
    AgentTaskStatus next = owned(task, AgentTaskPhase.Failed);
    next.setFailureReason(reason);
    next.setMessage("invalid AgentTask: " + problem);
    next.setFinishedAt(now());
    condition(task, next, ACCEPTED, false, "InvalidSpec", problem);
    condition(task, next, COMPLETED, true, "Failed", next.getMessage());
    return next;
  }

  /** A task found Preparing or Running after a restart whose run cannot be looked for. */
  AgentTaskStatus lost(AgentTask task, String why) {
    AgentTaskStatus next = owned(task, AgentTaskPhase.Failed);
    next.setFailureReason(FailureReason.UNKNOWN);
    next.setMessage(why);
    next.setFinishedAt(now());
    condition(task, next, COMPLETED, true, "Failed", why);
    return next;
  }

  /** {@code spec.cancel} was set before the task reached a backend: nothing ran. */
  AgentTaskStatus cancelledBeforeStart(AgentTask task) {
    AgentTaskStatus next = owned(task, AgentTaskPhase.Cancelled);
    next.setMessage("cancelled before it started (spec.cancel): nothing ran");
    next.setFinishedAt(now());
    condition(task, next, COMPLETED, true, "Cancelled", next.getMessage());
    return next;
  }

  /**
   * The worker is draining and will not start the task: it ends here, and Oz may assign it again.
   */
  AgentTaskStatus shutDownBeforeStart(AgentTask task) {
    AgentTaskStatus next = owned(task, AgentTaskPhase.Cancelled);
    next.setFailureReason(FailureReason.GRACEFUL_SHUTDOWN);
    next.setMessage("cancelled: worker " + workerId + " shut down before the task started");
    next.setFinishedAt(now());
    condition(task, next, COMPLETED, true, "WorkerShutdown", next.getMessage());
    return next;
  }

  /** Reconciling the task failed: the ReconcileError condition says why; nothing else changes. */
  AgentTaskStatus reconcileFailed(AgentTask task, String why) {
    AgentTaskStatus next = copy(task);
    condition(task, next, RECONCILE_ERROR, true, "ReconcileFailed", why);
    return next;
  }

  /** A reconcile succeeded after one failed: the ReconcileError condition turns false. */
  AgentTaskStatus reconciled(AgentTask task) {
    AgentTaskStatus next = copy(task);
    condition(
        task, next, RECONCILE_ERROR, false, "Reconciled", "the worker reconciles the task again");
    return next;
  }

  /** Where the run stands: Preparing, Running or final, and whether it was cleaned up. */
  AgentTaskStatus ofRun(AgentTask task, TaskRun run) {
    AgentTaskStatus next = copy(task);
    boolean alreadyFinal = next.getPhase() != null && next.getPhase().isTerminal();
    if (!alreadyFinal) {
      next = run.outcome().map(outcome -> finished(task, run, outcome)).orElse(active(task, run));
    }
    Optional<Optional<TaskFailure>> cleaned = run.cleanedUp();
    if (cleaned.isPresent()) {
      Optional<TaskFailure> failure = cleaned.get();
      condition(
          task,
          next,
          TORN_DOWN,
          failure.isEmpty(),
          failure.isEmpty() ? "CleanedUp" : "TeardownFailed",
          failure
              .map(f -> "teardown failed: " + run.redactor().redact(f.getMessage()))
              .orElse("teardown ran and the run's resources were released"));
    }
    return next;
  }

  private AgentTaskStatus active(AgentTask task, TaskRun run) {
    boolean running = run.isRunning();
    AgentTaskStatus next = owned(task, running ? AgentTaskPhase.Running : AgentTaskPhase.Preparing);
    handedOver(next, run);
    String backend = run.ref().backend();
    condition(task, next, ACCEPTED, true, "Assigned", "worker " + workerId + " runs this task");
    if (AgentTaskConditions.find(next.getConditions(), QUEUED).isPresent()) {
      condition(task, next, QUEUED, false, "SlotAvailable", "a slot was free");
    }
    if (running) {
      next.setMessage("the agent is running on the " + backend + " backend");
      condition(task, next, STARTED, true, "AgentRunning", next.getMessage());
    } else {
      next.setMessage("the " + backend + " backend is preparing the task");
      condition(task, next, STARTED, false, "Preparing", next.getMessage());
    }
    run.stopCause().ifPresent(cause -> next.setMessage("stopping (" + stopText(cause, run) + ")"));
    return next;
  }

  private AgentTaskStatus finished(AgentTask task, TaskRun run, TaskOutcome outcome) {
    Optional<TaskRun.StopCause> cause =
        // A run that succeeded or was handed off is over whatever stop was asked meanwhile.
        outcome instanceof TaskOutcome.Succeeded || outcome instanceof TaskOutcome.Dispatched
            ? Optional.empty()
            : run.stopCause();
    AgentTaskPhase phase =
        switch (outcome) {
          case TaskOutcome.Succeeded s -> AgentTaskPhase.Succeeded;
          case TaskOutcome.Dispatched d -> AgentTaskPhase.Dispatched;
          case TaskOutcome.Failed f when cause.isEmpty() -> AgentTaskPhase.Failed;
          case TaskOutcome.Cancelled c when cause.isEmpty() -> AgentTaskPhase.Cancelled;
          default ->
              cause.get() == TaskRun.StopCause.TIMEOUT
                  ? AgentTaskPhase.Failed
                  : AgentTaskPhase.Cancelled;
        };
    AgentTaskStatus next = owned(task, phase);
    handedOver(next, run);
    next.setFinishedAt(now());
    if (run.isRunning()) {
      condition(task, next, STARTED, true, "AgentRunning", "the agent ran");
    }
    String tail = run.redactor().redactTail(outcome.logTail(), LOG_TAIL_CHARS);
    // No output is no tail: some API servers (kube-local's v1.20) refuse an empty string here.
    next.setLogTail(tail.isEmpty() ? null : tail);
    String completedReason = phase.name();
    if (outcome instanceof TaskOutcome.Failed failed) {
      failed.failure().exitCode().ifPresent(next::setExitCode);
    }
    if (outcome instanceof TaskOutcome.Succeeded) {
      next.setExitCode(0);
      next.setMessage("the agent finished successfully");
    } else if (outcome instanceof TaskOutcome.Dispatched) {
      next.setExitCode(0);
      next.setMessage(
          "handed off: dispatch_command exited 0; the runtime it chose runs the agent, which"
              + " reports to Oz itself");
    } else if (cause.isPresent()) {
      next.setMessage(stopText(cause.get(), run));
      if (cause.get() == TaskRun.StopCause.TIMEOUT) {
        next.setFailureReason(FailureReason.TASK_TIMEOUT);
        completedReason = "TimedOut";
      } else if (cause.get() == TaskRun.StopCause.SHUTDOWN) {
        // Oz hears graceful_shutdown, which tells it the task may run again elsewhere.
        next.setFailureReason(FailureReason.GRACEFUL_SHUTDOWN);
        completedReason = "WorkerShutdown";
      }
    } else if (outcome instanceof TaskOutcome.Failed failed) {
      next.setFailureReason(failed.failure().reason());
      next.setMessage(run.redactor().redact(failed.failure().getMessage()));
    } else {
      next.setMessage("the backend stopped the run");
    }
    condition(task, next, COMPLETED, true, completedReason, next.getMessage());
    return next;
  }

  /** What the backend was handed and when; the first time counts. */
  private static void handedOver(AgentTaskStatus next, TaskRun run) {
    next.setBackendRef(run.ref());
    if (next.getStartedAt() == null) {
      next.setStartedAt(KubernetesTime.format(run.handedOver()));
    }
  }

  private String stopText(TaskRun.StopCause cause, TaskRun run) {
    return switch (cause) {
      case CANCEL -> "cancelled: spec.cancel was set";
      case DELETE -> "cancelled: the AgentTask is being deleted";
      case SHUTDOWN -> "cancelled: worker " + workerId + " shut down before the task finished";
      case TIMEOUT ->
          "timed out: the task ran longer than its timeout of "
              + GoDuration.format(run.spec().timeout())
              + " and was stopped";
    };
  }

  /** The task's cancellation was passed on to the runtime that took it; its phase stays. */
  AgentTaskStatus cancelPassedOn(AgentTask task) {
    AgentTaskStatus next = copy(task);
    condition(
        task,
        next,
        AgentTaskConditions.CANCEL_PASSED_ON,
        true,
        "CancelCommandStarted",
        "the task was handed off: its cancellation went to backend.command.cancel_command");
    return next;
  }

  private AgentTaskStatus owned(AgentTask task, AgentTaskPhase phase) {
    AgentTaskStatus next = copy(task);
    next.setPhase(phase);
    next.setWorkerId(workerId);
    podName.ifPresent(next::setPodName);
    nodeName.ifPresent(next::setNodeName);
    next.setObservedGeneration(task.getMetadata().getGeneration());
    return next;
  }

  private void condition(
      AgentTask task,
      AgentTaskStatus status,
      String type,
      boolean value,
      String reason,
      String message) {
    Long generation = task.getMetadata().getGeneration();
    status.setConditions(
        AgentTaskConditions.set(
            status.getConditions(),
            type,
            value,
            reason,
            message,
            generation == null ? 0 : generation,
            clock.instant()));
  }

  private String now() {
    return KubernetesTime.format(clock.instant());
  }

  private static AgentTaskStatus copy(AgentTask task) {
    return task.getStatus() == null
        ? new AgentTaskStatus()
        : Serialization.jsonMapper().convertValue(task.getStatus(), AgentTaskStatus.class);
  }
}
