package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.Backend;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.GoDuration;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.observe.Redactor;
import dev.ozworker.observe.WorkerMetrics;
import dev.ozworker.task.IntakeProof;
import dev.ozworker.task.InvalidTaskException;
import dev.ozworker.task.TaskResolver;
import dev.ozworker.task.TaskSpec;
import dev.ozworker.task.UserTaskImages;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Drives this worker's AgentTasks from Pending to a final phase through the backend. Never waits on
 * a task: the backend's news arrives as events (see {@link TaskRun}), and timeouts and TTLs come
 * back as scheduled reconciles.
 *
 * <p>While this process runs a task, its {@link TaskRun} is the truth and the status is written
 * from it. Without one, the status tells what an earlier process left: a Preparing or Running task
 * is reattached, a finished one not yet cleaned up is cleaned up, so nothing is started twice and
 * nothing is left behind.
 */
final class AgentTaskReconciler implements Reconciler<AgentTask>, Cleaner<AgentTask> {
  /** How often a waiting task looks again, in case a wake-up was missed. */
  static final Duration RECHECK = Duration.ofSeconds(30);

  /** How often a task whose Secret is missing looks for it. */
  static final Duration SECRET_RECHECK = Duration.ofSeconds(5);

  /**
   * When a task whose status write was refused as stale looks again, in case the newer version's
   * own event does not bring it back first.
   */
  static final Duration STALE_RECHECK = Duration.ofSeconds(1);

  /** Why a task written by hand fails on a worker that runs only tasks from Oz. */
  static final String USER_TASKS_OFF =
      "this worker runs only tasks from Oz (user_tasks.enabled is false), and this one was not"
          + " stored by its intake: run it on a worker that allows AgentTasks written by hand";

  private static final Logger log = LoggerFactory.getLogger(AgentTaskReconciler.class);

  private final WorkerConfig config;
  private final Map<BackendKind, Backend> backends;
  private final TaskResolver resolver;
  private final IntakeProof proof;
  private final EnvSecretRule secretRule;
  private final UserTaskImages userImages;
  private final Clock clock;
  private final TaskOwnership ownership;
  private final TaskStatuses statuses;
  private final TaskSlots slots;
  private final StatusWriter writer;
  private final TaskEvents events;
  private final TaskRecovery recovery;
  private final ReconcileErrors errors;
  private final Map<ResourceID, TaskRun> runs = new ConcurrentHashMap<>();

  /**
   * The uids of tasks whose run this process followed to its end and cleaned up. A copy of such a
   * task that still shows it running is older than what this process wrote (the informer may hand
   * one over after the run is forgotten): it is never recovered, started or torn down again.
   */
  private final Set<String> settled = ConcurrentHashMap.newKeySet();

  /** Secrets the intake has just created, for the first admission of their tasks. */
  private final FreshSecrets freshSecrets;

  /** Secrets of started tasks not yet owned by their task. */
  private final Map<ResourceID, Secret> unowned = new ConcurrentHashMap<>();

  private final SimpleInboundEventSource<AgentTask> wakeups =
      new SimpleInboundEventSource<>("backend-events");
  private volatile boolean draining;
  private volatile boolean handingOver;
  private volatile Duration shutdownGrace;

  AgentTaskReconciler(
      WorkerConfig config,
      List<Backend> backends,
      Clock clock,
      WorkerMetrics metrics,
      FreshSecrets freshSecrets) {
    this.config = config;
    this.freshSecrets = freshSecrets;
    freshSecrets.onArrival(wakeups::propagateEvent);
    this.backends = new ConcurrentHashMap<>();
    backends.forEach(backend -> this.backends.put(backend.kind(), backend));
    this.resolver = new TaskResolver(config);
    this.proof = IntakeProof.of(config.apiKey());
    this.secretRule = new EnvSecretRule(config, proof);
    this.userImages = new UserTaskImages(config);
    this.clock = clock;
    this.ownership = new TaskOwnership(config.workerId(), config.podName());
    this.statuses = new TaskStatuses(config.workerId(), config.podName(), config.nodeName(), clock);
    this.slots = new TaskSlots(config.maxConcurrentTasks());
    this.events = new TaskEvents(config.workerId(), clock);
    this.writer =
        new StatusWriter(
            ownership,
            config.workerId(),
            new TaskMetrics(metrics, config.backend().kind().configName()),
            events);
    this.errors = new ReconcileErrors(ownership, statuses, writer);
    this.recovery =
        new TaskRecovery(
            this.backends,
            resolver,
            secretRule,
            statuses,
            writer,
            config.podName(),
            wakeups::propagateEvent,
            clock);
  }

  @Override
  public List<EventSource<?, AgentTask>> prepareEventSources(
      EventSourceContext<AgentTask> context) {
    return List.of(wakeups);
  }

  @Override
  public UpdateControl<AgentTask> reconcile(AgentTask task, Context<AgentTask> context) {
    return reconcile(task, TaskContext.of(context));
  }

  @Override
  public DeleteControl cleanup(AgentTask task, Context<AgentTask> context) {
    return cleanup(task, TaskContext.of(context));
  }

  /**
   * One reconcile of the task as read, through {@code context}; one that succeeds after others
   * failed clears what {@link #updateErrorStatus} showed.
   */
  UpdateControl<AgentTask> reconcile(AgentTask task, TaskContext context) {
    try (var ignored = MDC.putCloseable("task", task.getMetadata().getName())) {
      AtomicReference<AgentTask> latest = new AtomicReference<>(task);
      UpdateControl<AgentTask> control = decide(task, context.alsoTelling(latest::set));
      errors.succeeded(latest.get(), context);
      return control;
    } catch (StaleTaskException e) {
      log.debug("{}: deciding again from the newer version", e.getMessage());
      return UpdateControl.<AgentTask>noUpdate().rescheduleAfter(STALE_RECHECK);
    }
  }

  /** What to do with the task as read. */
  private UpdateControl<AgentTask> decide(AgentTask task, TaskContext context) {
    if (!ownership.isMine(task)) {
      return claim(task, context);
    }
    TaskRun run = runs.get(ResourceID.fromResource(task));
    if (run == null && settled.contains(task.getMetadata().getUid())) {
      return phaseOf(task).isTerminal() ? expireWhenDue(task, context) : UpdateControl.noUpdate();
    }
    if (run == null) {
      run = recover(task, context).orElse(null);
    }
    if (run != null) {
      return follow(task, run, context);
    }
    return phaseOf(task).isTerminal() ? expireWhenDue(task, context) : admit(task, context);
  }

  /** The task is being deleted: stops and cleans up its run, then lets the finalizer go. */
  DeleteControl cleanup(AgentTask task, TaskContext context) {
    try (var ignored = MDC.putCloseable("task", task.getMetadata().getName())) {
      ResourceID id = ResourceID.fromResource(task);
      String uid = task.getMetadata().getUid();
      TaskRun run = ownership.isMine(task) ? runs.get(id) : null;
      if (run == null && ownership.isMine(task) && !settled.contains(uid)) {
        run = recover(task, context).orElse(null);
      }
      if (run == null) {
        giveBack(id);
        settled.remove(uid);
        return DeleteControl.defaultDelete();
      }
      if (run.started() && run.stop(TaskRun.StopCause.DELETE, config.cancelGracePeriod())) {
        log.info("AgentTask {} deleted: stopping its run", task.getMetadata().getName());
      }
      if (!run.started()) {
        finish(id);
        return DeleteControl.defaultDelete();
      }
      if (run.isOver()) {
        run.cleanUpOnce();
      }
      if (run.cleanedUp().isEmpty()) {
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(RECHECK.toMillis());
      }
      finish(id);
      settled.remove(uid);
      return DeleteControl.defaultDelete();
    } catch (StaleTaskException e) {
      log.debug("{}: deciding again from the newer version", e.getMessage());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(STALE_RECHECK.toMillis());
    }
  }

  @Override
  public ErrorStatusUpdateControl<AgentTask> updateErrorStatus(
      AgentTask task, Context<AgentTask> context, Exception e) {
    return updateErrorStatus(task, TaskContext.of(context), e);
  }

  /**
   * A reconcile of {@code task} failed: logged, and shown on the task ({@link ReconcileErrors}).
   * The status goes out through the {@link StatusWriter} like every other (ADR 0006), so the
   * framework is asked to write none; the failure is retried on the controller's schedule.
   */
  ErrorStatusUpdateControl<AgentTask> updateErrorStatus(
      AgentTask task, TaskContext context, Exception e) {
    try (var ignored = MDC.putCloseable("task", task.getMetadata().getName())) {
      TaskRun run = runs.get(ResourceID.fromResource(task));
      Redactor redactor = run == null ? Redactor.none() : run.redactor();
      log.warn(
          "reconciling AgentTask {} failed; retrying: {}",
          task.getMetadata().getName(),
          redactor.redact(e.toString()));
      errors.failed(task, e, redactor, context);
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
  }

  /** The filter of the controller's informer: this worker's tasks and unclaimed ones. */
  boolean concernsThisWorker(AgentTask task) {
    return ownership.concernsThisWorker(task);
  }

  /**
   * Starts nothing more: unclaimed tasks are left to other workers, and this worker's tasks that
   * have not reached the backend end at once as {@code graceful_shutdown}. Running ones go on.
   */
  void drain() {
    draining = true;
    wake(slots.waiting());
  }

  /**
   * Leaves the runs that outlive this process (containers) going for the replica that adopts them,
   * instead of stopping them; runs still preparing, and process runs, drain as usual.
   */
  void handOver() {
    handingOver = true;
    drain();
  }

  /** Runs left going for another replica, once {@link #handOver()} was called. */
  int handedOver() {
    return handingOver ? (int) runs.values().stream().filter(TaskRun::canBeHandedOver).count() : 0;
  }

  /**
   * Stops every run still going, each killed {@code grace} after its SIGTERM; runs handed over are
   * left alone.
   */
  void stopRuns(Duration grace) {
    drain();
    shutdownGrace = grace;
    runs.keySet().forEach(wakeups::propagateEvent);
  }

  /** Tasks handed to the backend and not yet cleaned up. */
  int activeTasks() {
    return slots.inUse();
  }

  /** Tasks waiting for a slot. */
  int queuedTasks() {
    return slots.waitingCount();
  }

  /**
   * Takes an unclaimed task when this replica has room for it. A replica without a free slot leaves
   * it to the others and writes nothing: only a task's owner writes its status, so replicas never
   * overwrite each other's view of a task.
   */
  private UpdateControl<AgentTask> claim(AgentTask task, TaskContext context) {
    ResourceID id = ResourceID.fromResource(task);
    if (!ownership.isUnclaimed(task) || phaseOf(task).isTerminal() || draining) {
      slots.forget(id);
      return UpdateControl.noUpdate();
    }
    boolean cancelled = cancelRequested(task);
    // A cancelled task costs nothing to end, so any replica takes it, full or not.
    if (!cancelled && !slots.tryAcquire(id)) {
      slots.await(id);
      return UpdateControl.<AgentTask>noUpdate().rescheduleAfter(RECHECK);
    }
    if (ownership.claim(context.client(), task)) {
      log.info(
          "claimed AgentTask {} for worker {}", task.getMetadata().getName(), config.workerId());
      events.record(
          context.client(),
          task,
          "Normal",
          "Claimed",
          "worker " + config.workerId() + " runs this task");
    } else {
      // Another replica labelled it first; its next event shows whose it is.
      wake(slots.release(id));
    }
    return UpdateControl.noUpdate();
  }

  /**
   * Hands a Pending task of this worker to its backend when it can run and a slot is free. Until
   * then it holds no slot (the one taken while claiming it is given back), so a task waiting for
   * its Secret or refused as invalid never keeps another from running.
   */
  private UpdateControl<AgentTask> admit(AgentTask task, TaskContext context) {
    ResourceID id = ResourceID.fromResource(task);
    if (cancelRequested(task) || draining) {
      giveBack(id);
      writer.write(
          task,
          draining && !cancelRequested(task)
              ? statuses.shutDownBeforeStart(task)
              : statuses.cancelledBeforeStart(task),
          context);
      return UpdateControl.noUpdate();
    }
    // Only the intake's proof makes a task one from Oz; whatever else it says, a task without it
    // was written by hand, and gets none of the worker's powers (docs/security.md).
    boolean fromOz = TaskOrigin.fromOz(proof, task);
    if (!fromOz && !config.userTasks().enabled()) {
      return refuse(task, USER_TASKS_OFF, context);
    }
    EnvSecrets secrets = new EnvSecrets(context.client(), secretRule, freshSecrets);
    Optional<String> secretName = EnvSecrets.secretName(task);
    Optional<Secret> secret = secrets.read(task);
    if (secretName.isPresent() && secret.isEmpty()) {
      giveBack(id);
      if (freshSecrets.isExpected(task.getMetadata().getNamespace(), secretName.get())) {
        // The intake is creating it: its arrival wakes the task, which writes nothing meanwhile.
        return UpdateControl.<AgentTask>noUpdate().rescheduleAfter(SECRET_RECHECK);
      }
      // Read again: it may have arrived between the first read and that question.
      secret = secrets.read(task);
      if (secret.isEmpty() && fromOz) {
        // The intake makes a task's Secret right after the task and claims it only then: a task
        // from Oz without its Secret, which no intake here is making, was left by a worker stopped
        // in between. It cannot run without its environment; it ends, so that Oz hears of it.
        return refuse(task, neverStored(task, secretName.get()), context);
      }
      if (secret.isEmpty()) {
        writer.write(task, statuses.waitingForSecret(task, secretName.get()), context);
        return UpdateControl.<AgentTask>noUpdate().rescheduleAfter(SECRET_RECHECK);
      }
    }
    Optional<String> refused = secret.flatMap(found -> secretRule.refusal(task, found));
    if (refused.isPresent()) {
      return refuse(task, refused.get(), context);
    }
    Map<String, String> env = secret.map(EnvSecrets::entries).orElse(Map.of());
    TaskSpec spec;
    try {
      spec = resolver.resolve(TaskObjects.of(task), task.getSpec(), env);
    } catch (InvalidTaskException e) {
      return refuse(task, e.getMessage(), e.reason(), context);
    }
    List<String> notAllowed = fromOz ? List.of() : userImages.problems(spec);
    if (!notAllowed.isEmpty()) {
      return refuse(task, String.join("; ", notAllowed), context);
    }
    Backend backend = backends.get(spec.backend());
    if (backend == null) {
      giveBack(id);
      String problem =
          String.format(
              "spec.backend is %s, but this worker runs only %s: remove spec.backend or run the"
                  + " task on a worker started with --backend %s",
              spec.backend(), backends.keySet(), spec.backend());
      writer.write(task, statuses.invalid(task, problem), context);
      return UpdateControl.noUpdate();
    }
    if (!slots.tryAcquire(id)) {
      slots.await(id);
      writer.write(task, statuses.queued(task, slots.inUse(), slots.max()), context);
      return UpdateControl.<AgentTask>noUpdate().rescheduleAfter(RECHECK);
    }
    secret.ifPresent(found -> unowned.put(id, found));
    TaskRun run = TaskRun.planned(id, backend, spec, wakeups::propagateEvent, clock);
    runs.put(id, run);
    return follow(task, run, context);
  }

  private static String neverStored(AgentTask task, String secretName) {
    return "Secret "
        + secretName
        + " (spec.envFrom.secretName) was never stored in namespace "
        + task.getMetadata().getNamespace()
        + ": the worker stopped between storing the AgentTask and its Secret, before it claimed"
        + " the task; Oz may assign it again";
  }

  /** Fails a task that cannot run as written, before it reaches a backend or holds a slot. */
  private UpdateControl<AgentTask> refuse(AgentTask task, String problem, TaskContext context) {
    return refuse(task, problem, FailureReason.UNKNOWN, context);
  }

  private UpdateControl<AgentTask> refuse(
      AgentTask task, String problem, FailureReason reason, TaskContext context) {
    giveBack(ResourceID.fromResource(task));
    log.warn("AgentTask {} not run: {}", task.getMetadata().getName(), problem);
    writer.write(task, statuses.invalid(task, problem, reason), context);
    return UpdateControl.noUpdate();
  }

  private UpdateControl<AgentTask> follow(AgentTask task, TaskRun run, TaskContext context) {
    ResourceID id = ResourceID.fromResource(task);
    boolean startsNow = !run.started();
    if (startsNow) {
      if (TaskLifecycle.startRecorded(task.getStatus())) {
        // Started already, by this worker before a restart or by another replica: never again.
        // What is left of that run is found from the status once this plan is dropped.
        log.warn(
            "AgentTask {} records a start already; not starting it again",
            task.getMetadata().getName());
        finish(id);
        return UpdateControl.<AgentTask>noUpdate().rescheduleAfter(STALE_RECHECK);
      }
      if (cancelRequested(task) || draining) {
        finish(id);
        writer.write(
            task,
            cancelRequested(task)
                ? statuses.cancelledBeforeStart(task)
                : statuses.shutDownBeforeStart(task),
            context);
        return UpdateControl.noUpdate();
      }
      // Stored before the backend hears of it: a restart then finds the task and reattaches,
      // and never starts it a second time.
      task = writer.write(task, statuses.ofRun(task, run), context);
      run.start();
    }
    ownSecret(task, context);
    if (cancelRequested(task)) {
      run.stop(TaskRun.StopCause.CANCEL, config.cancelGracePeriod());
    }
    Duration stopping = shutdownGrace;
    boolean handedOver = handingOver && run.canBeHandedOver();
    if (stopping != null && !handedOver && run.stop(TaskRun.StopCause.SHUTDOWN, stopping)) {
      log.info(
          "worker shutting down: stopping the run of AgentTask {}", task.getMetadata().getName());
    }
    Optional<Instant> deadline = run.deadline();
    if (deadline.isPresent() && !clock.instant().isBefore(deadline.get())) {
      run.stop(TaskRun.StopCause.TIMEOUT, config.cancelGracePeriod());
    }
    if (run.isOver()) {
      run.cleanUpOnce();
    }
    // The cleanup ends on a backend thread: whether it is over is read once per status computed,
    // for the status written and for forgetting the run alike.
    AgentTaskStatus next = statuses.ofRun(task, run);
    if (run.isOver() && !run.cleanupStarted()) {
      // It ended between the two reads: its cleanup starts now, and may be done already.
      run.cleanUpOnce();
      next = statuses.ofRun(task, run);
    }
    if (!startsNow || next.getPhase().isTerminal() || run.stopCause().isPresent()) {
      task = writer.write(task, next, context);
    }
    // Else the start was just written, and what the backend said since (located, running, its
    // end) woke the task: the next pass writes it, by when a run that ends at once has ended.
    if (AgentTaskConditions.find(next.getConditions(), AgentTaskConditions.TORN_DOWN).isPresent()) {
      settled.add(task.getMetadata().getUid());
      finish(id);
      return expireWhenDue(task, context);
    }
    if (run.isOver() || run.stopCause().isPresent()) {
      // The backend's news wakes the task; the recheck only guards against a lost event.
      return UpdateControl.<AgentTask>noUpdate().rescheduleAfter(RECHECK);
    }
    return deadline
        .map(at -> UpdateControl.<AgentTask>noUpdate().rescheduleAfter(until(at)))
        .orElse(UpdateControl.noUpdate());
  }

  private Duration until(Instant at) {
    Duration left = Duration.between(clock.instant(), at);
    return left.isNegative() ? Duration.ZERO : left;
  }

  /** What an earlier process left, now followed by this one; empty when nothing is left. */
  private Optional<TaskRun> recover(AgentTask task, TaskContext context) {
    Optional<TaskRun> run = recovery.recover(task, context);
    run.ifPresent(
        recovered -> {
          ResourceID id = ResourceID.fromResource(task);
          runs.put(id, recovered);
          if (!recovered.isOver()) {
            // It runs whether or not it fits: it was running before the restart.
            slots.acquireAnyway(id);
          }
        });
    return run;
  }

  /** Deletes a finished task once its TTL has passed, if it is no longer needed. */
  private UpdateControl<AgentTask> expireWhenDue(AgentTask task, TaskContext context) {
    task = passOnCancellation(task, context);
    Optional<Instant> due = TaskExpiry.deleteAt(task, config, proof, clock.instant());
    if (due.isEmpty()) {
      return UpdateControl.noUpdate();
    }
    if (clock.instant().isBefore(due.get())) {
      return UpdateControl.<AgentTask>noUpdate().rescheduleAfter(until(due.get()));
    }
    log.info(
        "deleting AgentTask {}: finished more than {} ago",
        task.getMetadata().getName(),
        GoDuration.format(config.finishedTaskTtl()));
    context.client().resource(task).delete();
    return UpdateControl.noUpdate();
  }

  /**
   * A task handed off to another runtime that Oz (or a person) cancels afterwards: the backend
   * passes the cancellation on, once, recorded in a condition before it is started (a worker that
   * dies in between loses that cancellation rather than sending it twice).
   */
  private AgentTask passOnCancellation(AgentTask task, TaskContext context) {
    if (phaseOf(task) != AgentTaskPhase.Dispatched
        || !cancelRequested(task)
        || task.getStatus().getBackendRef() == null
        || AgentTaskConditions.find(
                task.getStatus().getConditions(), AgentTaskConditions.CANCEL_PASSED_ON)
            .isPresent()) {
      return task;
    }
    var ref = task.getStatus().getBackendRef();
    Backend backend = BackendKind.fromConfigName(ref.backend()).map(backends::get).orElse(null);
    if (backend == null) {
      return task;
    }
    AgentTask written = writer.write(task, statuses.cancelPassedOn(task), context);
    log.info(
        "AgentTask {} was handed off and is cancelled: passing it on",
        task.getMetadata().getName());
    backend.cancel(ref, config.cancelGracePeriod());
    return written;
  }

  /**
   * Makes a started task own the Secret it was admitted with, so that deleting the task deletes it.
   * Done once the backend has the run, off the task's way to it; a worker stopped before this is
   * done has its successor own the Secret when it reattaches ({@link TaskRecovery}). A failed
   * attempt fails the reconcile, whose retry tries again.
   */
  private void ownSecret(AgentTask task, TaskContext context) {
    ResourceID id = ResourceID.fromResource(task);
    Secret secret = unowned.get(id);
    if (secret != null) {
      new EnvSecrets(context.client(), secretRule).own(task, secret);
      unowned.remove(id);
    }
  }

  /** The run is over and cleaned up: forget it and free its slot. */
  private void finish(ResourceID id) {
    runs.remove(id);
    unowned.remove(id);
    wake(slots.release(id));
  }

  /** Frees a slot the task may hold without running, and its place in the queue. */
  private void giveBack(ResourceID id) {
    wake(slots.release(id));
    slots.forget(id);
  }

  private void wake(List<ResourceID> waiting) {
    waiting.forEach(wakeups::propagateEvent);
  }

  private static boolean cancelRequested(AgentTask task) {
    return Boolean.TRUE.equals(task.getSpec().getCancel());
  }

  private static AgentTaskPhase phaseOf(AgentTask task) {
    return task.getStatus() == null || task.getStatus().getPhase() == null
        ? AgentTaskPhase.Pending
        : task.getStatus().getPhase();
  }
}
