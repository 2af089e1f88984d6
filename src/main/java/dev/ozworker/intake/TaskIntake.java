package dev.ozworker.intake;

import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.observe.WorkerMetrics;
import dev.ozworker.oz.DecodeError;
import dev.ozworker.oz.LinkListener;
import dev.ozworker.oz.MessageType;
import dev.ozworker.oz.Printable;
import dev.ozworker.oz.ServerMessage;
import dev.ozworker.oz.TaskAssignment;
import dev.ozworker.oz.TaskCancellation;
import dev.ozworker.oz.TaskClaimed;
import dev.ozworker.oz.TaskRejected;
import dev.ozworker.oz.WorkerMessage;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
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
 * max_concurrent_tasks}, or when storing fails, the assignment is rejected and Oz keeps it queued.
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

  private final TaskStore store;
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

  /**
   * @param index this worker's AgentTasks, for capacity and for finding a task by its Oz id
   * @param replies sends claims and rejections ({@link dev.ozworker.oz.OzLink#reply})
   * @param onConnected what else must happen when a connection comes up (resending results)
   * @param resendResult sends the result of a finished AgentTask again, by name
   * @param metrics told of claims, rejections and the time each step took
   * @param secretCreated told of each Secret created, as the API server answered, so that the
   *     controller need not read it back
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
      Consumer<Secret> secretCreated) {
    this.store = new TaskStore(client, namespace, secretCreated);
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
        LOG.warn("assignment of task {} rejected: {}", Printable.of(taskId), e.getMessage());
        metrics.rejected(WorkerMetrics.INVALID_ASSIGNMENT);
        replies.accept(new TaskRejected(taskId, "invalid assignment: " + e.getMessage()));
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

  private void store(String taskId, String name, TaskResources resources) {
    TaskStore.Stored stored;
    storing.acquireUninterruptibly();
    try {
      stored = store.store(resources);
    } catch (KubernetesClientException e) {
      index.release(name);
      LOG.error(
          "cannot store task {} (HTTP {}): rejecting it so Oz can offer it again",
          taskId,
          e.getCode());
      metrics.rejected(WorkerMetrics.STORE_FAILED);
      replies.accept(new TaskRejected(taskId, STORE_FAILED));
      return;
    } finally {
      storing.release();
    }
    switch (stored) {
      case NEW -> {
        metrics.stored(name);
        LOG.info("task {} stored as AgentTask {}; claimed", taskId, name);
      }
      case EXISTING ->
          LOG.info("task {} was stored before as AgentTask {}; claiming it again", taskId, name);
      case FOREIGN_SECRET -> {
        index.release(name);
        LOG.error(
            "cannot store task {}: a Secret named {} exists and was not made for this task"
                + " (label {}); rejecting it",
            taskId,
            resources.envSecret().getMetadata().getName(),
            AgentTaskKeys.TASK_ID_LABEL);
        metrics.rejected(WorkerMetrics.STORE_FAILED);
        replies.accept(new TaskRejected(taskId, STORE_FAILED));
        return;
      }
    }
    replies.accept(new TaskClaimed(taskId, workerId));
    metrics.claimed(name);
  }

  private void cancel(String taskId) {
    MDC.put("task", taskId);
    try {
      List<String> names = index.unfinished(taskId);
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
