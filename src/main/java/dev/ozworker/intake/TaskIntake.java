package dev.ozworker.intake;

import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.FailureReason;
import dev.ozworker.observe.ApiServerError;
import dev.ozworker.observe.WorkerMetrics;
import dev.ozworker.oz.DecodeError;
import dev.ozworker.oz.LinkListener;
import dev.ozworker.oz.MessageType;
import dev.ozworker.oz.Printable;
import dev.ozworker.oz.ServerMessage;
import dev.ozworker.oz.TaskAssignment;
import dev.ozworker.oz.TaskCancellation;
import dev.ozworker.oz.TaskClaimed;
import dev.ozworker.oz.TaskFailed;
import dev.ozworker.oz.TaskRejected;
import dev.ozworker.oz.WorkerMessage;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Takes what Oz sends: an assignment is stored as a Secret and an AgentTask, and only then claimed;
 * a cancellation sets {@code spec.cancel} on the task's AgentTasks. Storing is idempotent by task
 * id: a repeated assignment claims again but stores and runs nothing new. At {@code
 * max_concurrent_tasks}, or when storing fails for a cause that may pass, the assignment is
 * rejected and Oz keeps it queued; an assignment no worker could ever store (an unsafe id, an
 * env_vars name that cannot be a Secret key, content the API server refuses) is claimed and failed
 * with the reason, so that it ends at Oz (ADR 0013).
 *
 * <p>Messages about one task are handled in arrival order; different tasks are handled at once.
 */
public final class TaskIntake implements LinkListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TaskIntake.class);

  /** Why an assignment that arrives while the worker drains is rejected. */
  public static final String SHUTTING_DOWN = "worker is shutting down";

  /** How many assignments are written to the API server at once. */
  static final int STORES_AT_ONCE = 16;

  /** Why a task that could not be stored is rejected. */
  static final String STORE_FAILED = "worker could not store the task";

  /** How a failure's message to Oz begins (docs/protocol.md, "Taking an assignment"). */
  static final String FAILED_PREFIX = "Failed to execute task: ";

  private final TaskStore store;
  private final IntakeProof proof;
  private final ClaimOrder claims;
  private final String namespace;
  private final String workerId;
  private final AssignmentMapping mapping;
  private final WorkerTaskIndex index;
  private final Consumer<WorkerMessage> replies;
  private final Runnable onConnected;
  private final Consumer<String> resendResult;
  private final WorkerMetrics metrics;
  private final ExecutorService executor =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("oz-intake-", 0).factory());
  private final TaskSequencer sequencer = new TaskSequencer(executor);

  /**
   * At most {@link #STORES_AT_ONCE} assignments are stored at once; the others wait their turn. A
   * burst of a thousand assignments would otherwise open a thousand connections to the API server.
   */
  private final Semaphore storing = new Semaphore(STORES_AT_ONCE);

  private volatile boolean draining;
  private volatile Optional<String> workerProblem = Optional.empty();

  /**
   * @param index this worker's AgentTasks, for capacity and for finding a task by its Oz id
   * @param replies sends claims and rejections ({@link dev.ozworker.oz.OzLink#reply})
   * @param onConnected what else must happen when a connection comes up (resending results)
   * @param resendResult sends the result of a finished AgentTask again, by name
   * @param metrics told of claims, rejections and the time each step took
   * @param secrets told of each Secret while it is stored, so that the controller waits for it and
   *     need not read it back
   * @param claims told while a task is being stored and claimed, so that its result cannot reach Oz
   *     before its claim
   * @param proof signs what the intake stores, so that only its tasks are reported to Oz
   */
  public TaskIntake(
      KubernetesClient client,
      String namespace,
      String workerId,
      AssignmentMapping mapping,
      WorkerTaskIndex index,
      Consumer<WorkerMessage> replies,
      Runnable onConnected,
      Consumer<String> resendResult,
      WorkerMetrics metrics,
      SecretHandOff secrets,
      ClaimOrder claims,
      IntakeProof proof) {
    this.claims = claims;
    this.proof = proof;
    this.store = new TaskStore(client, namespace, secrets, proof);
    this.namespace = namespace;
    this.workerId = workerId;
    this.mapping = mapping;
    this.index = index;
    this.replies = replies;
    this.onConnected = onConnected;
    this.resendResult = resendResult;
    this.metrics = metrics;
  }

  @Override
  public void connected() {
    onConnected.run();
  }

  @Override
  public void received(ServerMessage message) {
    switch (message) {
      case TaskAssignment assignment ->
          sequencer.submit(assignment.taskId(), () -> assign(assignment));
      case TaskCancellation cancellation ->
          sequencer.submit(cancellation.taskId(), () -> cancel(cancellation.taskId()));
    }
  }

  @Override
  public void malformed(DecodeError error) {
    // An assignment we cannot read is refused, so Oz need not wait for a claim that never comes.
    boolean assignment =
        error.type().filter(MessageType.TASK_ASSIGNMENT.wireName()::equals).isPresent();
    error
        .taskId()
        .filter(id -> assignment && !id.isBlank())
        .ifPresent(
            id -> replies.accept(new TaskRejected(id, "invalid assignment: " + error.detail())));
  }

  /**
   * Takes no new tasks: an assignment of a task this worker does not know is rejected, so Oz offers
   * it to another worker. Cancellations, and assignments of known tasks, are still handled.
   */
  public void stopTaking() {
    draining = true;
  }

  /** Stops taking messages; those being stored finish first, for a few seconds at most. */
  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void assign(TaskAssignment assignment) {
    String taskId = assignment.taskId();
    MDC.put("task", taskId);
    try {
      TaskResources resources;
      try {
        resources = mapping.toResources(assignment);
      } catch (InvalidAssignmentException e) {
        // No worker could ever store it: offered again, it would bounce between workers forever.
        LOG.warn(
            "assignment of task {} cannot be run: {}; claiming and failing it",
            Printable.of(taskId),
            e.getMessage());
        fail(taskId, e.reason(), "invalid assignment: " + e.getMessage());
        return;
      }
      String name = resources.agentTask().getMetadata().getName();
      metrics.assigned(name);
      WorkerTaskIndex.Reservation reservation = index.reserve(name, taskId);
      if (reservation == WorkerTaskIndex.Reservation.RESERVED && draining) {
        index.release(name);
        LOG.info("task {} rejected: the worker is shutting down", taskId);
        metrics.rejected(WorkerMetrics.SHUTTING_DOWN);
        replies.accept(new TaskRejected(taskId, SHUTTING_DOWN));
        return;
      }
      if (reservation == WorkerTaskIndex.Reservation.KNOWN
          && index
              .stored(name)
              .filter(task -> !TaskResources.storedByIntake(proof, task))
              .isPresent()) {
        foreign(taskId, "an AgentTask named " + name + " exists and was not stored by the intake");
        return;
      }
      if (reservation == WorkerTaskIndex.Reservation.KNOWN && secretMayBeMissing(name, resources)) {
        // Stored before, by a worker stopped between the AgentTask and its Secret: storing again
        // makes the Secret, and claims only once the task has it.
        store(taskId, name, resources);
        return;
      }
      switch (reservation) {
        case KNOWN -> {
          LOG.info(
              "task {} assigned again: already stored as AgentTask {}; claiming it again",
              taskId,
              name);
          replies.accept(new TaskClaimed(taskId, workerId));
          if (index.isFinished(name)) {
            resendResult.accept(name);
          }
        }
        case AT_CAPACITY -> {
          LOG.info("task {} rejected: {} tasks running, the maximum", taskId, index.limit());
          metrics.rejected(WorkerMetrics.AT_CAPACITY);
          replies.accept(new TaskRejected(taskId, TaskRejected.AT_CAPACITY));
        }
        case RESERVED -> store(taskId, name, resources);
      }
    } finally {
      MDC.remove("task");
    }
  }

  /**
   * Whether the task, stored before, may lack its Secret: it has env_vars and the controller has
   * not taken it up yet (one that did either had its Secret or ended without it). Its Secret is
   * then made, if it is missing, before the claim.
   */
  private boolean secretMayBeMissing(String name, TaskResources resources) {
    return resources.envSecret().isPresent()
        && index
            .stored(name)
            .filter(task -> task.getStatus() == null || task.getStatus().getPhase() == null)
            .isPresent();
  }

  private void store(String taskId, String name, TaskResources resources) {
    claims.claiming(name);
    try {
      storeAndClaim(taskId, name, resources);
    } finally {
      claims.claimed(name);
    }
  }

  private void storeAndClaim(String taskId, String name, TaskResources resources) {
    TaskStore.Stored stored;
    storing.acquireUninterruptibly();
    try {
      stored = store.store(resources);
    } catch (KubernetesClientException e) {
      index.release(name);
      notStored(taskId, StoreFailure.of(ApiServerError.of(e)));
      return;
    } finally {
      storing.release();
    }
    workerProblem = Optional.empty();
    switch (stored) {
      case NEW -> {
        metrics.stored(name);
        LOG.info("task {} stored as AgentTask {}; claimed", taskId, name);
      }
      case EXISTING ->
          LOG.info("task {} was stored before as AgentTask {}; claiming it again", taskId, name);
      case FOREIGN_SECRET -> {
        index.release(name);
        foreign(
            taskId,
            "a Secret named "
                + resources.envSecret().map(s -> s.getMetadata().getName()).orElse("")
                + " exists and was not made for this task by the intake");
        return;
      }
      case FOREIGN_TASK -> {
        index.release(name);
        foreign(taskId, "an AgentTask named " + name + " exists and was not stored by the intake");
        return;
      }
    }
    replies.accept(new TaskClaimed(taskId, workerId));
    metrics.claimed(name);
  }

  /**
   * Rejects a task whose resources' names are taken by resources someone else made: taking them
   * would run the task with their environment, or not at all. Deleting them lets it be stored.
   */
  private void foreign(String taskId, String why) {
    LOG.error(
        "cannot store task {}: {} (annotation {}); rejecting it. Delete that resource so that the"
            + " task can be stored",
        taskId,
        why,
        AgentTaskKeys.INTAKE_PROOF_ANNOTATION);
    metrics.rejected(WorkerMetrics.STORE_FAILED);
    replies.accept(new TaskRejected(taskId, STORE_FAILED));
  }

  /** Answers an assignment the API server did not store, as its cause decides (ADR 0013). */
  private void notStored(String taskId, StoreFailure failure) {
    String said = failure.error().describe();
    switch (failure.kind()) {
      case TRANSIENT -> {
        LOG.error("cannot store task {} now: {}; rejecting it so Oz offers it again", taskId, said);
        metrics.rejected(WorkerMetrics.STORE_FAILED);
        replies.accept(new TaskRejected(taskId, STORE_FAILED));
      }
      case TASK -> {
        LOG.error(
            "the API server refused task {}: {}; claiming and failing it, as it would refuse it"
                + " again",
            taskId,
            said);
        fail(taskId, FailureReason.UNKNOWN, "the Kubernetes API server refused the task: " + said);
      }
      case WORKER -> {
        String fix = failure.fix(namespace);
        workerProblem = Optional.of("cannot store tasks: " + said + "; " + fix);
        LOG.error(
            "cannot store task {}: {}; {}. Rejecting it, and not ready until a task is stored",
            taskId,
            said,
            fix);
        metrics.rejected(WorkerMetrics.WORKER_SETUP);
        replies.accept(new TaskRejected(taskId, STORE_FAILED + ": " + fix));
      }
    }
  }

  /**
   * Claims and fails a task that can never be stored, so that it ends at Oz with a reason instead
   * of being offered again and again. Nothing was stored: the answer is the only trace.
   */
  private void fail(String taskId, FailureReason reason, String detail) {
    replies.accept(new TaskClaimed(taskId, workerId));
    replies.accept(new TaskFailed(taskId, FAILED_PREFIX + detail, reason, 0));
    metrics.failedAtIntake(reason);
  }

  /**
   * Why the worker cannot store any task, for {@code /readyz}: set by a refusal that names the
   * worker's own setup (credentials, RBAC, CRD), cleared by the next task stored.
   */
  public Optional<String> notReady() {
    return workerProblem;
  }

  private void cancel(String taskId) {
    MDC.put("task", taskId);
    try {
      List<String> names = index.cancellable(taskId);
      if (names.isEmpty()) {
        LOG.info(
            "cancellation of task {} ignored: this worker runs no such task", Printable.of(taskId));
        return;
      }
      for (String name : names) {
        if (store.cancel(name)) {
          LOG.info("task {} cancelled by Oz: spec.cancel set on AgentTask {}", taskId, name);
        }
      }
    } finally {
      MDC.remove("task");
    }
  }
}
