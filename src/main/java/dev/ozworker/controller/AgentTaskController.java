package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.backend.Backend;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.observe.WorkerMetrics;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The running controller of one worker replica: a java-operator-sdk operator watching the
 * AgentTasks of the worker's namespace, with this worker's tasks and unclaimed ones let through.
 * Stopping it stops watching; tasks keep running in their backend, and the next start reattaches.
 */
public final class AgentTaskController implements AutoCloseable {
  /** How often a replica running in a pod looks for tasks of replicas whose pod is gone. */
  static final Duration ADOPTION_PERIOD = Duration.ofSeconds(10);

  /** The longest wait between two attempts at a reconcile that keeps failing. */
  static final Duration RETRY_CEILING = Duration.ofSeconds(30);

  private final Operator operator;
  private final AgentTaskReconciler reconciler;
  private final String namespace;
  private final Optional<TaskAdoption> adoption;
  private final Optional<ScheduledExecutorService> sweeper;

  private final FreshSecrets freshSecrets;

  private AgentTaskController(
      Operator operator,
      AgentTaskReconciler reconciler,
      String namespace,
      Optional<TaskAdoption> adoption,
      FreshSecrets freshSecrets) {
    this.operator = operator;
    this.freshSecrets = freshSecrets;
    this.reconciler = reconciler;
    this.namespace = namespace;
    this.adoption = adoption;
    this.sweeper =
        adoption.map(
            sweep -> {
              ScheduledExecutorService executor =
                  Executors.newSingleThreadScheduledExecutor(
                      Thread.ofPlatform().name("task-adoption").daemon().factory());
              executor.scheduleWithFixedDelay(
                  sweep::sweep, 0, ADOPTION_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
              return executor;
            });
  }

  /**
   * How a failed reconcile is tried again: 1 s, 1 s, then doubling up to {@link #RETRY_CEILING};
   * never given up. JOSDK's default stops after five attempts (about 18 s) and then waits for
   * something else to change the task, or for its ten-hour maximum reconciliation interval: an API
   * server or a Docker engine away for longer would hold back a finished run's status, result,
   * teardown and finalizer for hours.
   */
  static GenericRetry retry() {
    return new GenericRetry()
        .withoutMaxAttempts()
        .setInitialInterval(Duration.ofSeconds(1).toMillis())
        .setIntervalMultiplier(2)
        .setMaxInterval(RETRY_CEILING.toMillis());
  }

  /**
   * Starts watching and returns once the informer's cache is filled.
   *
   * @param serverSideApply whether the API server takes server-side apply patches; a real one does,
   *     the embedded one (fabric8's mock server) answers 415
   */
  public static AgentTaskController start(
      KubernetesClient client,
      WorkerConfig config,
      List<Backend> backends,
      Clock clock,
      boolean serverSideApply) {
    return start(
        client,
        config,
        backends,
        clock,
        serverSideApply,
        WorkerMetrics.forConfig(new PrometheusRegistry(), clock, config));
  }

  /**
   * Starts watching, telling {@code metrics} what happens to the tasks; returns once the informer's
   * cache is filled.
   */
  public static AgentTaskController start(
      KubernetesClient client,
      WorkerConfig config,
      List<Backend> backends,
      Clock clock,
      boolean serverSideApply,
      WorkerMetrics metrics) {
    String namespace =
        config
            .namespace()
            .orElse(client.getNamespace() == null ? "default" : client.getNamespace());
    // A watch event's object is read as the class registered for its kind: unregistered, fabric8
    // reads it as a generic resource and then converts that to an AgentTask, a second pass over
    // every event of every informer on AgentTasks (5% of the worker's CPU on a real API server).
    client.getKubernetesSerialization().registerKubernetesResource(AgentTask.class);
    FreshSecrets freshSecrets = new FreshSecrets(clock);
    AgentTaskReconciler reconciler =
        new AgentTaskReconciler(config, backends, clock, metrics, freshSecrets);
    Operator operator =
        new Operator(
            overrider ->
                overrider
                    .withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withUseSSAToPatchPrimaryResource(serverSideApply));
    operator.register(
        reconciler,
        controller ->
            controller
                .withName("agenttask-" + config.workerId())
                .withFinalizer(AgentTaskKeys.FINALIZER)
                // Status changes written by others (the reporter's `reported`) and label changes
                // (claims) must reach the reconciler; it ignores what it has seen already.
                .withGenerationAware(false)
                .withRetry(retry())
                .settingNamespace(namespace)
                .withGenericFilter(reconciler::concernsThisWorker));
    operator.start();
    // Only a replica in a pod adopts: elsewhere an absent pod says nothing about the owner.
    Optional<TaskAdoption> adoption =
        config
            .podName()
            .map(
                pod ->
                    new TaskAdoption(
                        client,
                        namespace,
                        config.workerId(),
                        config.podName(),
                        config.nodeName(),
                        new TaskOwnership(config.workerId(), config.podName()),
                        clock));
    return new AgentTaskController(operator, reconciler, namespace, adoption, freshSecrets);
  }

  /**
   * Told of each Secret the intake creates, as the API server answered: admitting its task then
   * need not read it back.
   */
  public void secretCreated(Secret created) {
    freshSecrets.offer(created);
  }

  /**
   * Told that the intake is about to create the Secret of task {@code taskName}, after the task:
   * the task waits for it without writing that it is missing.
   */
  public void secretExpected(String namespace, String taskName, String secretName) {
    freshSecrets.expect(namespace, taskName, secretName);
  }

  /** Told that a Secret announced will not come from the intake. */
  public void secretAbandoned(String namespace, String secretName) {
    freshSecrets.abandon(namespace, secretName);
  }

  /** The namespace whose AgentTasks this controller runs. */
  public String namespace() {
    return namespace;
  }

  /** Tasks handed to a backend and not yet cleaned up. */
  public int activeTasks() {
    return reconciler.activeTasks();
  }

  /**
   * Starts no more tasks: unclaimed ones are left to other replicas; this worker's tasks not yet
   * handed to a backend end as {@code graceful_shutdown}. Running containers are left going for the
   * replica that adopts this worker's tasks; other runs go on until {@link #stopRuns}.
   */
  public void handOver() {
    adoption.ifPresent(TaskAdoption::stop);
    reconciler.handOver();
  }

  /**
   * Starts no more tasks, as {@link #handOver()}, but hands nothing over: with the state of the
   * tasks gone with this process (embedded API server) nothing could adopt a running container, so
   * every run is stopped by {@link #stopRuns} and cleaned up like any other.
   */
  public void drain() {
    adoption.ifPresent(TaskAdoption::stop);
    reconciler.drain();
  }

  /** Runs left going for another replica after {@link #handOver()}. */
  public int handedOver() {
    return reconciler.handedOver();
  }

  /**
   * Stops every task still running, as {@code graceful_shutdown}: SIGTERM, then a kill after {@code
   * grace}; teardown follows as for any cancellation.
   */
  public void stopRuns(Duration grace) {
    reconciler.stopRuns(grace);
  }

  /** Tasks waiting for a free slot. */
  public int queuedTasks() {
    return reconciler.queuedTasks();
  }

  /** Empty while the operator runs; otherwise why it does not. */
  public Optional<String> notRunning() {
    return operator.getRuntimeInfo().isStarted()
        ? Optional.empty()
        : Optional.of("the AgentTask controller is not running");
  }

  /** Empty when the controller's informers are synced and watching; otherwise which are not. */
  public Optional<String> notSynced() {
    RuntimeInfo info = operator.getRuntimeInfo();
    if (!info.isStarted()) {
      return Optional.of("the AgentTask controller is not running");
    }
    return info.allEventSourcesAreHealthy()
        ? Optional.empty()
        : Optional.of(
            "the AgentTask controller's event sources are unhealthy: "
                + info.unhealthyEventSources().values().stream()
                    .flatMap(sources -> sources.keySet().stream())
                    .toList());
  }

  /** Stops watching; running tasks are left to their backend. */
  @Override
  public void close() {
    adoption.ifPresent(TaskAdoption::stop);
    sweeper.ifPresent(ScheduledExecutorService::shutdownNow);
    operator.stop();
  }
}
