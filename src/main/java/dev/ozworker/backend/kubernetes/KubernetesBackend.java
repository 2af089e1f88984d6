package dev.ozworker.backend.kubernetes;

import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.KubernetesBackendConfig;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.observe.Redactor;
import dev.ozworker.task.TaskSpec;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs each task as a Pod in the task's namespace, owned by its AgentTask ({@link TaskPods} builds
 * it). One informer follows every task Pod of the namespace, so a Pod's changes reach its run as
 * they happen and no thread waits on a Pod; a replica that adopts a task finds its Pod in the same
 * cache. The agent's output is followed from the kubelet into the run's log as it is written.
 *
 * <p>Teardown runs inside the Pod after the agent, whether it succeeded, failed or was stopped, and
 * leaves its exit status in the task container's termination message; a cancel deletes the Pod with
 * the cancel's grace period and the run ends once the Pod is gone.
 */
public final class KubernetesBackend implements Backend {
  /** How often the informer replays its cache of task Pods, as a safety net under the watch. */
  static final Duration RESYNC = Duration.ofMinutes(10);

  /** Longest wait for the rest of an ended container's output before the run is reported. */
  static final Duration OUTPUT_DRAIN = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesBackend.class);

  private final WorkerConfig config;
  private final KubernetesClient client;
  private final String namespace;
  private final PodSettings settings;
  private final Duration unschedulableTimeout;
  private final Clock clock;
  private final ExecutorService executor =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("pod-run-", 0).factory());
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("pod-run-timer").factory());
  private final Map<String, PodRun> runs = new ConcurrentHashMap<>();
  private final SharedIndexInformer<Pod> pods;
  private final MountFailureWatch mountFailures;
  private final Graces graces;
  private volatile boolean closed;

  /**
   * Starts following the task Pods of {@code namespace}; returns once the informer has listed them.
   *
   * @param client the API the Pods are made through; not closed with the backend
   * @param namespace the worker's namespace, where its AgentTasks and so their Pods live
   * @param unschedulableTimeout how long a Pod may find no node before the run fails; zero waits
   *     for ever
   */
  public KubernetesBackend(
      WorkerConfig config,
      KubernetesClient client,
      String namespace,
      PodSettings settings,
      Duration unschedulableTimeout,
      Clock clock) {
    this(config, client, namespace, settings, unschedulableTimeout, Graces.DEFAULT, clock);
  }

  /**
   * @param graces how long a Pod may be stuck on what the kubelet retries before its run fails
   */
  KubernetesBackend(
      WorkerConfig config,
      KubernetesClient client,
      String namespace,
      PodSettings settings,
      Duration unschedulableTimeout,
      Graces graces,
      Clock clock) {
    this.config = config;
    this.client = client;
    this.namespace = namespace;
    this.settings = settings;
    this.unschedulableTimeout = unschedulableTimeout;
    this.clock = clock;
    this.graces = graces;
    this.mountFailures =
        MountFailureWatch.start(client, namespace, graces.mount(), RESYNC, this::lookAgain);
    this.pods =
        client
            .pods()
            .inNamespace(namespace)
            .withLabel(PodLabels.MANAGED_BY, PodLabels.MANAGED_BY_VALUE)
            .inform(new PodEvents(), RESYNC.toMillis());
  }

  /**
   * The backend the worker's {@code backend.kubernetes} block describes, on the worker's cluster.
   *
   * @throws ConfigException when the block names another namespace or its {@code pod_template} is
   *     not a PodSpec
   * @throws IllegalStateException when the API server refuses a task Pod built from the block (a
   *     server-side dry run): RBAC, Pod Security admission or an invalid template, said as a fix
   */
  public static KubernetesBackend create(
      WorkerConfig config, KubernetesClient client, String namespace, Clock clock)
      throws ConfigException {
    return create(config, client, namespace, Graces.DEFAULT, clock);
  }

  static KubernetesBackend create(
      WorkerConfig config, KubernetesClient client, String namespace, Graces graces, Clock clock)
      throws ConfigException {
    if (!(config.backend() instanceof KubernetesBackendConfig kubernetes)) {
      throw new IllegalArgumentException("the worker is configured for the Kubernetes backend");
    }
    PodSettings settings = KubernetesSettings.of(config.workerId(), kubernetes, client, namespace);
    Duration checked = PodPreflight.check(client, namespace, settings, kubernetes.preflightImage());
    LOG.info(
        "a task Pod passes the API server's checks in namespace {} (dry run, {} ms)",
        namespace,
        checked.toMillis());
    return new KubernetesBackend(
        config, client, namespace, settings, kubernetes.unschedulableTimeout(), graces, clock);
  }

  @Override
  public BackendKind kind() {
    return BackendKind.KUBERNETES;
  }

  /** Pods belong to the cluster, not to this process, and outlive it. */
  @Override
  public boolean runsOutliveWorker() {
    return true;
  }

  @Override
  public BackendRef start(TaskSpec spec, TaskListener listener) throws TaskFailure {
    if (closed) {
      throw new TaskFailure(FailureReason.UNKNOWN, "the Kubernetes backend is shutting down");
    }
    Pod pod = TaskPods.build(checked(spec), settings);
    PodRun run = open(spec, listener);
    executor.execute(() -> create(run, pod));
    return BackendRef.planned(kind().configName(), spec.runId());
  }

  @Override
  public void reattach(TaskSpec spec, BackendRef ref, TaskListener listener) throws TaskFailure {
    String name = TaskPods.podName(spec.runId());
    Optional<Pod> found = cached(name);
    if (found.isEmpty() && ref.pod() == null) {
      // The earlier worker stopped before the Pod was made: nothing of the task ran.
      try (var ignored = MDC.putCloseable("task", spec.runId())) {
        LOG.info("no Pod was created before the restart; creating it now");
      }
      start(spec, listener);
      return;
    }
    if (found.isEmpty()) {
      throw new TaskFailure(
          FailureReason.POD_WATCH,
          "the task's Pod "
              + name
              + " (namespace "
              + namespace
              + ") is gone: it was deleted while no worker followed it, so its result is lost");
    }
    PodRun run = open(spec, listener);
    run.log().line("(the worker restarted: the Pod's output follows again from its start)");
    run.created();
    try (var ignored = MDC.putCloseable("task", spec.runId())) {
      LOG.info("reattached to Pod {} ({})", name, phase(found.get()));
    }
    executor.execute(() -> observe(run, found.get()));
  }

  @Override
  public void cancel(BackendRef ref, Duration grace) {
    PodRun run = runs.get(TaskPods.podName(ref.runId()));
    if (run == null) {
      executor.execute(() -> delete(TaskPods.podName(ref.runId()), grace));
      return;
    }
    if (run.cancel(grace)) {
      executor.execute(() -> delete(run.podName(), grace));
    }
  }

  /**
   * Teardown ran in the Pod: reports its exit status. A Pod whose agent succeeded is deleted
   * (unless cleanup is off); a failed one is kept for {@code kubectl describe} and goes with its
   * AgentTask.
   */
  @Override
  public CompletionStage<Optional<TaskFailure>> cleanup(BackendRef ref) {
    return CompletableFuture.supplyAsync(() -> cleanUp(ref), executor)
        .exceptionally(
            error ->
                Optional.of(
                    new TaskFailure(
                        FailureReason.CLEANUP,
                        null,
                        "cannot clean up the Pod of run " + ref.runId() + ": " + error,
                        error)));
  }

  @Override
  public void close() {
    closed = true;
    pods.stop();
    mountFailures.close();
    runs.values().forEach(PodRun::detach);
    runs.clear();
    timers.shutdownNow();
    executor.shutdownNow();
  }

  private TaskSpec checked(TaskSpec spec) throws TaskFailure {
    if (!namespace.equals(spec.object().namespace()) || spec.object().uid().isEmpty()) {
      throw new TaskFailure(
          FailureReason.JOB_CREATE,
          "the task is not a stored AgentTask of namespace "
              + namespace
              + " (it is in \""
              + spec.object().namespace()
              + "\"): its Pod must be owned by it, in the same namespace");
    }
    return spec;
  }

  private PodRun open(TaskSpec spec, TaskListener listener) {
    TaskLog log =
        TaskLog.open(config.taskLogDir(), spec.runId(), new Redactor(spec.env().secretValues()));
    PodRun run = new PodRun(spec, listener, log);
    PodRun earlier = runs.put(run.podName(), run);
    if (earlier != null) {
      earlier.detach();
    }
    return run;
  }

  private void create(PodRun run, Pod pod) {
    try (var ignored = MDC.putCloseable("task", run.spec().runId())) {
      if (run.cancelled() || closed) {
        run.failed(new TaskFailure(FailureReason.TASK_CANCELLED, "cancelled before its Pod"));
        return;
      }
      try {
        client.pods().inNamespace(namespace).resource(pod).create();
        LOG.info("Pod {} created", run.podName());
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          run.failed(
              new TaskFailure(
                  FailureReason.JOB_CREATE,
                  null,
                  "cannot create Pod " + run.podName() + ": " + PodErrors.describe(e),
                  e));
          return;
        }
        // made by an earlier attempt at this run: the same name is the same task
        LOG.info("Pod {} exists already; following it", run.podName());
      }
      run.listener()
          .located(
              new BackendRef(
                  kind().configName(),
                  run.spec().runId(),
                  null,
                  null,
                  null,
                  pod.getMetadata().getName()));
      run.created().ifPresent(grace -> delete(run.podName(), grace));
      cached(run.podName()).ifPresent(seen -> observe(run, seen));
    }
  }

  /** Acts on a state of the run's Pod: running, output, and whether and how the run ended. */
  private void observe(PodRun run, Pod pod) {
    if (run.seen(pod)) {
      run.listener().running();
    }
    if (run.followOutput()) {
      follow(run);
    }
    if (run.cancelled()) {
      return; // a cancelled run ends when its Pod is gone
    }
    Optional<Duration> unschedulableFor = TaskPodState.unschedulableFor(pod, clock.instant());
    Optional<TaskFailure> failure =
        PodFailures.classify(
            pod,
            mountFailures.lasting(pod, clock.instant(), wait -> recheckAfter(run, wait)),
            unschedulableFor.orElse(Duration.ZERO),
            unschedulableTimeout);
    boolean cannotCreate = !TaskPodState.podOver(pod) && TaskPodState.cannotCreateYet(pod);
    Duration cannotCreateFor = run.cannotCreateFor(cannotCreate, clock.instant());
    if (failure.isPresent() && cannotCreate && cannotCreateFor.compareTo(graces.create()) < 0) {
      // the kubelet retries: fail only once it has kept failing for the grace
      recheckAfter(run, graces.create().minus(cannotCreateFor));
      return;
    }
    if (failure.isEmpty() && TaskPodState.taskEnded(pod).isEmpty() && !TaskPodState.podOver(pod)) {
      unschedulableFor
          .filter(waited -> !unschedulableTimeout.isZero())
          .ifPresent(waited -> recheckAfter(run, unschedulableTimeout.minus(waited)));
      return;
    }
    if (!run.beginFinish()) {
      return;
    }
    boolean succeeded = TaskPodState.succeeded(pod);
    executor.execute(() -> end(run, failure, succeeded));
  }

  private void end(PodRun run, Optional<TaskFailure> failure, boolean succeeded) {
    try (var ignored = MDC.putCloseable("task", run.spec().runId())) {
      run.outputDrained(OUTPUT_DRAIN);
      run.ended(failure, succeeded);
    }
  }

  /** The Pod is gone: a cancelled run ends here; any other ends as the Pod last looked. */
  private void gone(PodRun run) {
    if (run.cancelled()) {
      if (run.beginFinish()) {
        executor.execute(
            () -> {
              run.outputDrained(OUTPUT_DRAIN);
              run.finish(TaskOutcome.Cancelled::new);
            });
      }
      return;
    }
    Optional<Pod> last = run.lastSeen();
    if (last.isPresent() && TaskPodState.taskEnded(last.get()).isPresent()) {
      observe(run, last.get());
      return;
    }
    run.failed(
        new TaskFailure(
            FailureReason.POD_WATCH,
            "Pod "
                + run.podName()
                + " (namespace "
                + namespace
                + ") was deleted before its task ended, by something other than this worker"));
  }

  private void follow(PodRun run) {
    executor.execute(() -> PodOutput.follow(client, run, settings.setupCommand().isPresent()));
  }

  private void recheckAfter(PodRun run, Duration wait) {
    timers.schedule(
        () -> cached(run.podName()).ifPresent(pod -> observe(run, pod)),
        Math.max(0, wait.toMillis()) + 1,
        TimeUnit.MILLISECONDS);
  }

  private void delete(String podName, Duration grace) {
    try {
      client
          .pods()
          .inNamespace(namespace)
          .withName(podName)
          .withGracePeriod(Math.max(0, grace.toSeconds()))
          .delete();
      LOG.info("Pod {} deleted with a grace of {} s", podName, grace.toSeconds());
    } catch (KubernetesClientException e) {
      LOG.warn("cannot delete Pod {}: {}", podName, PodErrors.describe(e));
    }
  }

  private Optional<TaskFailure> cleanUp(BackendRef ref) {
    String name = TaskPods.podName(ref.runId());
    PodRun run = runs.remove(name);
    Optional<Pod> pod =
        (run == null ? Optional.<Pod>empty() : run.lastSeen()).or(() -> cached(name));
    Optional<TaskFailure> teardown = pod.flatMap(PodFailures::teardownFailure);
    boolean succeeded =
        run != null
            ? run.outcome().map(TaskOutcome.Succeeded.class::isInstance).orElse(false)
            : pod.map(TaskPodState::succeeded).orElse(false);
    if (config.cleanup() && succeeded && pod.isPresent()) {
      delete(name, Duration.ZERO);
    }
    return teardown;
  }

  private Optional<Pod> cached(String name) {
    return Optional.ofNullable(pods.getStore().getByKey(namespace + "/" + name));
  }

  private static String phase(Pod pod) {
    return pod.getStatus() == null ? "no status yet" : pod.getStatus().getPhase();
  }

  /** Something about a run's Pod changed that its status does not show: the run looks again. */
  private void lookAgain(String podName) {
    PodRun run = runs.get(podName);
    if (run != null && !run.isOver()) {
      cached(podName).ifPresent(pod -> observe(run, pod));
    }
  }

  /** The informer's news, handed to the run of each Pod. */
  private final class PodEvents implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      onUpdate(null, pod);
    }

    @Override
    public void onUpdate(Pod before, Pod pod) {
      PodRun run = runs.get(pod.getMetadata().getName());
      if (run != null && !run.isOver()) {
        observe(run, pod);
      }
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
      PodRun run = runs.get(pod.getMetadata().getName());
      if (run != null && !run.isOver()) {
        if (!finalStateUnknown) {
          run.seen(pod);
        }
        gone(run);
      }
    }
  }
}
