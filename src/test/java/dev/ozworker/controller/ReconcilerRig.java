package dev.ozworker.controller;

import dev.ozworker.MutableClock;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.observe.TestMetrics;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.BaseControl;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.retry.RetryExecution;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The reconciler without an operator, on the mock API server, with a clock the test moves and a
 * {@link ScriptedBackend#stepped() stepped} backend: nothing happens unless the test makes it
 * happen, so nothing is waited for. A test reconciles one copy of a task itself ({@link
 * #reconcile(AgentTask)}), or lets the rig do what the operator does ({@link #settle()}, {@link
 * #advance(Duration)}): the finalizer is on a task before its first reconcile; a task is reconciled
 * again when it changes (other than by a status the reconciler wrote and cached), when the backend
 * wakes it, and when the delay its last reconcile asked for has passed on the clock; a task being
 * deleted goes to cleanup, and loses the finalizer when cleanup lets it go; a reconcile that throws
 * goes to the reconciler's error handling and is tried again on the controller's retry schedule.
 * The API-server tests check that the operator really does so.
 */
final class ReconcilerRig implements AutoCloseable {
  static final Instant START = Instant.parse("2026-12-05T10:00:00Z");

  /** Rounds of {@link #settle()} after which the tasks are taken never to settle. */
  private static final int MOST_ROUNDS = 100;

  final MockApi api = MockApi.start();
  final KubernetesClient client = api.clientWithoutRetries();
  final MutableClock clock = new MutableClock(START);
  final ScriptedBackend backend = ScriptedBackend.stepped();
  final WorkerConfig config;
  final AgentTaskReconciler reconciler;
  private final TaskContext context;

  /** Tasks the backend woke and not reconciled since, by name. */
  private final Set<String> woken = new LinkedHashSet<>();

  /** Every wake-up, in order. */
  private final List<String> wakeups = new ArrayList<>();

  /** The version of each task the reconciler last saw or wrote: a newer one is an event. */
  private final Map<String, String> seen = new HashMap<>();

  /** When each task asked to be reconciled again. */
  private final Map<String, Instant> due = new HashMap<>();

  private final Map<String, RetryExecution> retries = new HashMap<>();

  /**
   * @param yaml the worker's config file, the Direct backend added
   * @param env the worker's environment besides its API key (POD_NAME, NODE_NAME)
   */
  ReconcilerRig(String yaml, Map<String, String> env) {
    Map<String, String> environment = new HashMap<>(env);
    environment.put("WARP_API_KEY", "wk_worker");
    try {
      config = WorkerConfigs.resolve(yaml + "\nbackend:\n  direct: {}\n", environment);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    reconciler =
        new AgentTaskReconciler(
            config, List.of(backend), clock, TestMetrics.create(), new FreshSecrets(clock));
    context =
        new TaskContext(
            client,
            (read, stored) ->
                seen.put(
                    stored.getMetadata().getName(), stored.getMetadata().getResourceVersion()));
    var wakeupSource = reconciler.prepareEventSources(null).getFirst();
    wakeupSource.setEventHandler(
        event -> {
          String name = event.getRelatedCustomResourceID().getName();
          woken.add(name);
          wakeups.add(name);
        });
    wakeupSource.start();
  }

  ReconcilerRig(String yaml) {
    this(yaml, Map.of());
  }

  /** Stores a task as a user applies it, with the finalizer the operator adds first. */
  AgentTask create(AgentTask task) {
    task.getMetadata().setFinalizers(new ArrayList<>(List.of(AgentTaskKeys.FINALIZER)));
    return client.resources(AgentTask.class).inNamespace(namespace()).resource(task).create();
  }

  /**
   * The task with the proof the intake gives the tasks it stores (namespace and name as this rig
   * stores them), as if it came from Oz.
   */
  AgentTask fromOz(AgentTask task) {
    String proof =
        IntakeProof.of(config.apiKey())
            .ofTask(namespace(), task.getMetadata().getName(), task.getSpec());
    Map<String, String> annotations = new HashMap<>();
    if (task.getMetadata().getAnnotations() != null) {
      annotations.putAll(task.getMetadata().getAnnotations());
    }
    annotations.put(AgentTaskKeys.INTAKE_PROOF_ANNOTATION, proof);
    task.getMetadata().setAnnotations(annotations);
    return task;
  }

  /** One reconcile of the task as stored now. */
  UpdateControl<AgentTask> reconcile(String name) {
    return reconcile(get(name));
  }

  /** One reconcile of this copy of the task, which may be older than the stored one. */
  UpdateControl<AgentTask> reconcile(AgentTask copy) {
    String name = copy.getMetadata().getName();
    seen.put(name, copy.getMetadata().getResourceVersion());
    woken.remove(name);
    UpdateControl<AgentTask> control = reconciler.reconcile(copy, context);
    scheduled(name, control);
    return control;
  }

  /** What the operator does when a reconcile of the task as stored now failed with {@code e}. */
  ErrorStatusUpdateControl<AgentTask> failed(String name, Exception e) {
    return reconciler.updateErrorStatus(get(name), context, e);
  }

  /** One cleanup of the task as stored now; removes the finalizer when cleanup lets it go. */
  DeleteControl cleanup(String name) {
    AgentTask task = get(name);
    seen.put(name, task.getMetadata().getResourceVersion());
    woken.remove(name);
    DeleteControl control = reconciler.cleanup(task, context);
    scheduled(name, control);
    if (control.isRemoveFinalizer()) {
      client
          .resources(AgentTask.class)
          .inNamespace(namespace())
          .withName(name)
          .edit(
              stored -> {
                stored.getMetadata().getFinalizers().remove(AgentTaskKeys.FINALIZER);
                return stored;
              });
    }
    return control;
  }

  /**
   * Does what the operator would do now: delivers the backend's news and reconciles (or cleans up)
   * each task that changed, was woken or is due, until none is.
   */
  void settle() {
    for (int round = 0; round < MOST_ROUNDS; round++) {
      backend.deliverNews();
      List<AgentTask> concerning = tasks().stream().filter(reconciler::concernsThisWorker).toList();
      // The operator forgets what it scheduled for a task that is gone or no longer its own.
      due.keySet()
          .retainAll(concerning.stream().map(task -> task.getMetadata().getName()).toList());
      List<AgentTask> next = concerning.stream().filter(this::needsReconcile).toList();
      if (next.isEmpty()) {
        return;
      }
      next.forEach(task -> run(task.getMetadata().getName()));
    }
    throw new AssertionError("still reconciling after " + MOST_ROUNDS + " rounds: " + woken);
  }

  /**
   * Moves the clock by {@code by}, stopping at each time a task asked to be reconciled again to do
   * what the operator would do then.
   */
  void advance(Duration by) {
    Instant until = clock.instant().plus(by);
    settle();
    Optional<Instant> next = nextDue(until);
    while (next.isPresent()) {
      moveTo(next.get());
      settle();
      next = nextDue(until);
    }
    moveTo(until);
    settle();
  }

  /** How long until the task is reconciled again unless something happens; empty when never. */
  Optional<Duration> dueIn(String name) {
    return Optional.ofNullable(due.get(name)).map(at -> Duration.between(clock.instant(), at));
  }

  /** Every wake-up of a task by the backend or by a freed slot, by name, in order. */
  List<String> wakeups() {
    return List.copyOf(wakeups);
  }

  AgentTask get(String name) {
    return client.resources(AgentTask.class).inNamespace(namespace()).withName(name).get();
  }

  AgentTaskPhase phase(String name) {
    AgentTask task = get(name);
    return task == null || task.getStatus() == null ? null : task.getStatus().getPhase();
  }

  String namespace() {
    return client.getNamespace();
  }

  @Override
  public void close() {
    backend.close();
    api.close();
  }

  private void run(String name) {
    AgentTask task = get(name);
    try {
      if (task.getMetadata().getDeletionTimestamp() == null) {
        reconcile(task);
      } else {
        cleanup(name);
      }
      retries.remove(name);
    } catch (RuntimeException e) {
      if (task.getMetadata().getDeletionTimestamp() == null) {
        // as the operator does for a reconcile, not for a cleanup
        reconciler.updateErrorStatus(task, context, e);
      }
      long delay =
          retries
              .computeIfAbsent(name, failed -> AgentTaskController.retry().initExecution())
              .nextDelay()
              .orElseThrow();
      due.put(name, clock.instant().plusMillis(delay));
    }
  }

  private boolean needsReconcile(AgentTask task) {
    String name = task.getMetadata().getName();
    Instant at = due.get(name);
    boolean deleting = task.getMetadata().getDeletionTimestamp() != null;
    List<String> finalizers = task.getMetadata().getFinalizers();
    if (deleting && (finalizers == null || !finalizers.contains(AgentTaskKeys.FINALIZER))) {
      return false;
    }
    return woken.contains(name)
        || !task.getMetadata().getResourceVersion().equals(seen.get(name))
        || (at != null && !at.isAfter(clock.instant()));
  }

  private void scheduled(String name, BaseControl<?> control) {
    control
        .getScheduleDelay()
        .ifPresentOrElse(
            delay -> due.put(name, clock.instant().plusMillis(delay)), () -> due.remove(name));
  }

  private Optional<Instant> nextDue(Instant until) {
    return due.values().stream().filter(at -> !at.isAfter(until)).min(Comparator.naturalOrder());
  }

  private void moveTo(Instant at) {
    if (at.isAfter(clock.instant())) {
      clock.advance(Duration.between(clock.instant(), at));
    }
  }

  private List<AgentTask> tasks() {
    return client.resources(AgentTask.class).inNamespace(namespace()).list().getItems();
  }
}
