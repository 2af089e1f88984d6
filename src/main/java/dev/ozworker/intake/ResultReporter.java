package dev.ozworker.intake;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.observe.ApiServerError;
import dev.ozworker.observe.WorkerMetrics;
import dev.ozworker.oz.MessageType;
import dev.ozworker.oz.OzLink;
import dev.ozworker.oz.TaskCompleted;
import dev.ozworker.oz.TaskFailed;
import dev.ozworker.oz.WorkerMessage;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Delivers every Oz task's result at least once. The result lives in the AgentTask's status; a
 * terminal task whose {@code status.reported} is not true is sent whenever it is seen (a status
 * change, a new connection, a worker start), and {@code reported} is written only after Oz has read
 * the frame (a ping sent behind it was answered): a frame merely written can still be lost when the
 * worker dies at once. A crash between the two sends the result again; Oz takes a repeated result
 * for a finished task as a no-op. Only tasks the intake stored are reported, as their proof shows
 * ({@link IntakeProof}): a task written by hand is never, whatever its {@code spec.taskId} says.
 */
public final class ResultReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ResultReporter.class);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  private static final Duration MAX_RETRY = Duration.ofSeconds(30);

  private static final String BY_NAME = "ozReportedByName";

  private static final String REPORTED_PATCH = "{\"status\":{\"reported\":true}}";

  /** How many {@code reported} writes go to the API server at once. */
  static final int WRITES_AT_ONCE = 16;

  private final KubernetesClient client;
  private final IntakeProof proof;
  private final ClaimOrder claims;
  private final WorkerMetrics metrics;
  private final SharedIndexInformer<AgentTask> tasks;
  private final Function<WorkerMessage, CompletableFuture<Void>> sender;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  // Reported by this process: events older than our own write of `reported` must not resend.
  private final Set<String> done = ConcurrentHashMap.newKeySet();
  private final Semaphore writing = new Semaphore(WRITES_AT_ONCE);
  private final ScheduledExecutorService retries =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("oz-report-retry").daemon().factory());

  /**
   * @param tasks this worker's AgentTasks; the reporter adds its handler and an index before the
   *     informer starts
   * @param sender writes a frame on the live connection and completes once Oz has read it, failing
   *     when there is none ({@link OzLink#deliver})
   * @param metrics told when a result was delivered and recorded
   * @param proof tells the tasks the intake stored, the only ones reported
   */
  public ResultReporter(
      KubernetesClient client,
      SharedIndexInformer<AgentTask> tasks,
      Function<WorkerMessage, CompletableFuture<Void>> sender,
      WorkerMetrics metrics,
      IntakeProof proof) {
    this(client, tasks, sender, metrics, proof, new ClaimOrder());
  }

  /**
   * @param claims holds back the result of a task whose claim has not been sent yet
   */
  public ResultReporter(
      KubernetesClient client,
      SharedIndexInformer<AgentTask> tasks,
      Function<WorkerMessage, CompletableFuture<Void>> sender,
      WorkerMetrics metrics,
      IntakeProof proof,
      ClaimOrder claims) {
    this.proof = proof;
    this.claims = claims;
    // Looked up by name, not found among all the tasks: a burst releases a claim per task, and the
    // informer holds every task not yet deleted, thousands after a busy hour.
    tasks.addIndexers(Map.of(BY_NAME, task -> List.of(task.getMetadata().getName())));
    claims.onRelease(name -> tasks.getIndexer().byIndex(BY_NAME, name).forEach(this::consider));
    this.client = client;
    this.metrics = metrics;
    this.tasks = tasks;
    this.sender = sender;
    tasks.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(AgentTask task) {
            consider(task);
          }

          @Override
          public void onUpdate(AgentTask before, AgentTask task) {
            consider(task);
          }

          @Override
          public void onDelete(AgentTask task, boolean finalStateUnknown) {
            done.remove(Cache.metaNamespaceKeyFunc(task));
          }
        });
  }

  /** A connection came up: send every result still unreported. */
  public void connected() {
    tasks.getStore().list().forEach(this::consider);
  }

  /**
   * Oz assigned again a task that finished here: it may never have received the result (a frame
   * lost after it was written), so the result goes out once more. Nothing new is recorded.
   */
  public void resend(String namespace, String name) {
    AgentTask task = tasks.getStore().getByKey(namespace + "/" + name);
    if (task == null) {
      return;
    }
    if (!isReported(task)) {
      consider(task); // still owed: the usual path sends it and records it
      return;
    }
    ozResult(task)
        .ifPresent(
            message ->
                sender
                    .apply(message)
                    .whenComplete(
                        (written, error) ->
                            LOG.info(
                                "{} {} again, as Oz assigned the finished task again",
                                error == null ? "sent" : "could not send",
                                describe(message))));
  }

  /** Results not yet acknowledged by a write, for metrics and drain. */
  public long unreported() {
    return tasks.getStore().list().stream()
        .filter(task -> result(task).isPresent())
        .filter(task -> !done.contains(Cache.metaNamespaceKeyFunc(task)))
        .count();
  }

  @Override
  public void close() {
    retries.shutdownNow();
  }

  private void consider(AgentTask task) {
    Optional<WorkerMessage> result = result(task);
    if (result.isEmpty()) {
      return;
    }
    if (claims.holds(task.getMetadata().getName())) {
      return; // its claim is on its way: the release considers it again
    }
    String key = Cache.metaNamespaceKeyFunc(task);
    if (done.contains(key) || !inFlight.add(key)) {
      return; // already on its way; its completion decides what happens next
    }
    sender
        .apply(result.get())
        .whenComplete(
            (written, error) -> {
              if (error != null) {
                // Not connected, or the connection died: the next connection sends it again.
                inFlight.remove(key);
                LOG.debug("result of {} not sent yet: {}", key, error.toString());
                return;
              }
              Thread.ofVirtual()
                  .name("oz-report")
                  .start(() -> markReported(key, result.get(), FIRST_RETRY));
            });
  }

  /** The frame to send for {@code task}, if it has an unreported Oz result. */
  private Optional<WorkerMessage> result(AgentTask task) {
    return isReported(task) ? Optional.empty() : ozResult(task);
  }

  /** The result frame of a finished task from Oz, reported or not; empty for a user's task. */
  private Optional<WorkerMessage> ozResult(AgentTask task) {
    String taskId = task.getSpec() == null ? null : task.getSpec().getTaskId();
    if (taskId == null || taskId.isEmpty() || !TaskResources.storedByIntake(proof, task)) {
      return Optional.empty();
    }
    return ResultMessages.of(taskId, task.getStatus());
  }

  private static boolean isReported(AgentTask task) {
    AgentTaskStatus status = task.getStatus();
    return status != null && Boolean.TRUE.equals(status.getReported());
  }

  private void markReported(String key, WorkerMessage sent, Duration retry) {
    MDC.put("task", key.substring(key.indexOf('/') + 1));
    try {
      if (writeReportedInTurn(key)) {
        metrics.reported(key.substring(key.indexOf('/') + 1));
        LOG.info("reported {} to Oz", describe(sent));
      }
      done.add(key);
      inFlight.remove(key);
    } catch (KubernetesClientException e) {
      Duration next =
          retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
      LOG.warn(
          "sent {} to Oz but cannot record it: {}; retrying in {}s",
          describe(sent),
          ApiServerError.of(e),
          retry.toSeconds());
      retries.schedule(
          () -> Thread.ofVirtual().name("oz-report").start(() -> markReported(key, sent, next)),
          retry.toMillis(),
          TimeUnit.MILLISECONDS);
    } finally {
      MDC.remove("task");
    }
  }

  /**
   * {@link #writeReported} once fewer than {@link #WRITES_AT_ONCE} others are being written: a
   * burst of results must not open a connection to the API server for each.
   */
  private boolean writeReportedInTurn(String key) {
    writing.acquireUninterruptibly();
    try {
      return writeReported(key);
    } finally {
      writing.release();
    }
  }

  /**
   * Sets {@code status.reported}; false when the task is gone or someone set it already. A merge
   * patch of that one field, with no resourceVersion: setting it is right whatever else the status
   * says by now (a final result is never rewritten), so it never conflicts with the controller's
   * writes and costs exactly one request. A controller write decided from a copy older than it is
   * refused as stale and decided again from a copy that has it.
   */
  private boolean writeReported(String key) {
    AgentTask task = tasks.getStore().getByKey(key);
    if (task == null || task.getStatus() == null || isReported(task)) {
      return false;
    }
    AgentTask named = new AgentTask();
    named.setMetadata(
        new ObjectMetaBuilder()
            .withName(task.getMetadata().getName())
            .withNamespace(task.getMetadata().getNamespace())
            .build());
    try {
      // Patched through a task carrying only its name: by name alone, the client reads it first.
      client
          .resource(named)
          .subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), REPORTED_PATCH);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  private static String describe(WorkerMessage message) {
    return switch (message) {
      case TaskCompleted completed when completed.taskState() != null ->
          "task_completed (" + completed.taskState() + ") for " + completed.taskId();
      case TaskCompleted completed -> "task_completed for " + completed.taskId();
      case TaskFailed failed ->
          "task_failed ("
              + failed.failureReason().wireName()
              + (failed.exitCode() == 0 ? "" : ", exit " + failed.exitCode())
              + ") for "
              + failed.taskId();
      default -> MessageType.of(message).wireName() + " for " + message.taskId();
    };
  }
}
