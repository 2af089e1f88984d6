package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.DockerBackendConfig;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.observe.Redactor;
import dev.ozworker.task.TaskSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs each task in a container on a Docker engine: pulls its image, copies its sidecar images into
 * volumes, creates a labelled container ({@code /agent/entrypoint.sh <args>} in {@code /workspace})
 * and follows it until it exits. A restarted worker finds the container again by its labels.
 */
public final class DockerBackend implements Backend {
  /** How often unused sidecar volumes are looked for. */
  static final Duration SIDECAR_GC_INTERVAL = Duration.ofHours(1);

  /**
   * How long a container's removal is tried again after the engine failed it: an engine restarting
   * or shutting down refuses requests for seconds, and the container must not be left behind.
   */
  static final Duration REMOVAL_RETRIES_FOR = Duration.ofMinutes(2);

  /** Longest one removal request may take before it is given up and sent again. */
  static final Duration REMOVAL_ATTEMPT = Duration.ofSeconds(30);

  private static final Duration FIRST_REMOVAL_RETRY = Duration.ofMillis(500);
  private static final Duration MAX_REMOVAL_RETRY = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(DockerBackend.class);

  private final WorkerConfig config;
  private final DockerBackendConfig docker;
  private final DockerEngine engine;
  private final DockerClient client;
  private final ImagePuller puller;
  private final SidecarVolumes sidecars;
  private final ContainerWatch watch;
  private final TaskContainers containers;
  private final ExecutorService executor =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("docker-run-", 0).factory());
  private final ScheduledExecutorService gc;
  private final Map<String, DockerRun> runs = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param config the worker's configuration; its backend block must be Docker's
   * @param engine the engine to run on; closed with the backend
   * @param clock ages sidecar volumes ({@code sidecar_volume_max_age})
   */
  public DockerBackend(WorkerConfig config, DockerEngine engine, Clock clock) {
    if (!(config.backend() instanceof DockerBackendConfig dockerConfig)) {
      throw new IllegalArgumentException("the worker is configured for the Docker backend");
    }
    // a default limit or capability the engine would refuse fails the start, not every task
    ContainerHardening.of(dockerConfig);
    this.config = config;
    this.docker = dockerConfig;
    this.engine = engine;
    this.client = engine.client();
    this.puller =
        new ImagePuller(client, engine.platform(), new RegistryAuth(engine.dockerConfigDir()));
    this.sidecars = new SidecarVolumes(client, puller, clock, dockerConfig.sidecarVolumeMaxAge());
    this.watch = new ContainerWatch(client, executor);
    this.containers = new TaskContainers(client);
    this.gc =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("docker-sidecar-gc").factory());
    long every = SIDECAR_GC_INTERVAL.toSeconds();
    gc.scheduleWithFixedDelay(this::collectSidecarVolumes, every, every, TimeUnit.SECONDS);
  }

  /** A backend on the engine the environment names (DOCKER_HOST etc.). */
  public static DockerBackend connect(WorkerConfig config, Clock clock) {
    return new DockerBackend(config, DockerEngine.fromEnvironment(), clock);
  }

  @Override
  public BackendKind kind() {
    return BackendKind.DOCKER;
  }

  /** Containers belong to the Docker engine, not to this process, and outlive it. */
  @Override
  public boolean runsOutliveWorker() {
    return true;
  }

  @Override
  public BackendRef start(TaskSpec spec, TaskListener listener) throws TaskFailure {
    if (closed) {
      throw new TaskFailure(FailureReason.UNKNOWN, "the Docker backend is shutting down");
    }
    DockerRun run = open(spec, listener);
    executor.execute(() -> prepareAndRun(run));
    return BackendRef.planned(kind().configName(), spec.runId());
  }

  @Override
  public void reattach(TaskSpec spec, BackendRef ref, TaskListener listener) throws TaskFailure {
    Optional<InspectContainerResponse> lookedUp = containers.find(ref, spec.executionId());
    if (lookedUp.isEmpty() && (ref.containerId() == null || ref.containerId().isBlank())) {
      // The earlier worker stopped before the container existed (pulling, filling sidecar volumes):
      // nothing of the task ran, so preparing it again serves it instead of failing it.
      try (var ignored = MDC.putCloseable("task", spec.runId())) {
        LOG.info("no container was created before the restart; preparing the task again");
      }
      DockerRun run = open(spec, listener);
      executor.execute(() -> prepareAndRun(run));
      return;
    }
    InspectContainerResponse found = lookedUp.orElseThrow(() -> containers.notFound(ref));
    DockerRun run = open(spec, listener);
    run.log().line("(the worker restarted: the container's output follows again from its start)");
    String id = found.getId();
    run.created(id);
    String status = found.getState().getStatus();
    executor.execute(
        () -> {
          try (var ignored = MDC.putCloseable("task", spec.runId())) {
            LOG.info("reattached to container {} ({})", id, status);
            if ("created".equals(status)) {
              // the worker stopped between creating and starting it: carry on
              startAndWatch(run, id);
              return;
            }
            if (Boolean.TRUE.equals(found.getState().getRunning())) {
              run.started();
              listener.running();
            }
            watch.watch(run, id);
          } catch (TaskFailure failure) {
            run.failed(failure);
          }
        });
  }

  @Override
  public void cancel(BackendRef ref, Duration grace) {
    DockerRun run = runOf(ref);
    if (run != null) {
      run.cancel(grace).ifPresent(id -> stop(id, grace));
      return;
    }
    executor.execute(() -> containers.find(ref).ifPresent(found -> stop(found.getId(), grace)));
  }

  @Override
  public CompletionStage<Optional<TaskFailure>> cleanup(BackendRef ref) {
    // the run's own sidecar copies once its container no longer mounts them
    return CompletableFuture.supplyAsync(
            () ->
                removeContainer(ref)
                    .or(
                        () ->
                            config.cleanup()
                                ? sidecars.removeRunCopies(ref.runId())
                                : Optional.empty()),
            executor)
        .exceptionally(
            error ->
                Optional.of(
                    new TaskFailure(
                        FailureReason.CLEANUP,
                        null,
                        "cannot remove the container of run " + ref.runId() + ": " + error,
                        error)));
  }

  /** Removes sidecar volumes no container uses that are older than the maximum age. */
  public void collectSidecarVolumes() {
    try {
      sidecars.collect();
    } catch (RuntimeException e) {
      LOG.warn("cannot collect unused sidecar volumes: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    closed = true;
    gc.shutdownNow();
    runs.values().forEach(DockerRun::detach);
    runs.clear();
    executor.shutdownNow();
    engine.close();
  }

  /**
   * The live run {@code ref} refers to; not a later execution of the same run, which may have
   * started before the earlier one's cleanup.
   */
  private DockerRun runOf(BackendRef ref) {
    DockerRun run = runs.get(ref.runId());
    if (run == null || ref.containerId() == null || ref.containerId().isBlank()) {
      return run;
    }
    return run.containerId().map(ref.containerId()::equals).orElse(false) ? run : null;
  }

  private DockerRun open(TaskSpec spec, TaskListener listener) {
    TaskLog log =
        TaskLog.open(
            config.taskLogDir(),
            spec.runId(),
            new Redactor(spec.env().secretValues()),
            config.agentOutputToWorkerLog());
    DockerRun run = new DockerRun(spec, listener, log);
    DockerRun earlier = runs.put(spec.runId(), run);
    if (earlier != null) {
      earlier.detach();
    }
    return run;
  }

  private void prepareAndRun(DockerRun run) {
    TaskSpec spec = run.spec();
    try (var ignored = MDC.putCloseable("task", spec.runId())) {
      puller.ensure(spec.image(), docker.imagePullPolicy(), run::stream);
      if (run.cancelled() || closed) {
        run.cancelledBeforeStart();
        return;
      }
      var binds =
          sidecars.prepare(spec.runId(), spec.sidecars(), docker.imagePullPolicy(), run::stream);
      ContainerSpec container = ContainerSpecs.of(spec, config.workerId(), docker, binds);
      String id;
      try {
        id = containers.create(container);
      } finally {
        // once the container exists it holds its volumes against collection by itself
        sidecars.release(spec.runId());
      }
      if (!run.created(id)) {
        run.cancelledBeforeStart();
        return;
      }
      run.listener()
          .located(new BackendRef(kind().configName(), spec.runId(), id, null, null, null));
      startAndWatch(run, id);
    } catch (TaskFailure failure) {
      sidecars.release(spec.runId());
      run.failed(failure);
    } catch (RuntimeException e) {
      sidecars.release(spec.runId());
      run.failed(new TaskFailure(FailureReason.UNKNOWN, null, e.toString(), e));
    }
  }

  private void startAndWatch(DockerRun run, String id) throws TaskFailure {
    try {
      client.startContainerCmd(id).exec();
    } catch (RuntimeException e) {
      throw new TaskFailure(
          FailureReason.CONTAINER_START,
          null,
          "cannot start container " + id + ": " + e.getMessage(),
          e);
    }
    LOG.info("container {} started", id);
    Optional<Duration> cancelled = run.started();
    run.listener().running();
    watch.watch(run, id);
    cancelled.ifPresent(grace -> stop(id, grace));
  }

  private void stop(String id, Duration grace) {
    int seconds = (int) Math.max(0, (grace.toMillis() + 999) / 1000);
    executor.execute(
        () -> {
          try {
            client.stopContainerCmd(id).withTimeout(seconds).exec();
          } catch (NotModifiedException | NotFoundException alreadyStopped) {
            // it ended by itself meanwhile
          } catch (RuntimeException e) {
            LOG.warn("cannot stop container {}: {}", id, e.getMessage());
          }
        });
  }

  private Optional<TaskFailure> removeContainer(BackendRef ref) {
    DockerRun run = runOf(ref);
    if (run != null) {
      runs.remove(ref.runId(), run);
    }
    sidecars.release(ref.runId());
    Optional<String> known = run == null ? Optional.empty() : run.containerId();
    if (!config.cleanup()) {
      return Optional.empty();
    }
    long giveUpAt = System.nanoTime() + REMOVAL_RETRIES_FOR.toNanos();
    Duration retry = FIRST_REMOVAL_RETRY;
    while (true) {
      try {
        Optional<String> id =
            known.or(() -> containers.find(ref).map(InspectContainerResponse::getId));
        id.ifPresent(this::removeWithin);
        return Optional.empty();
      } catch (NotFoundException gone) {
        return Optional.empty();
      } catch (RuntimeException e) {
        String container = known.orElse("of run " + ref.runId());
        if (System.nanoTime() + retry.toNanos() - giveUpAt > 0) {
          return Optional.of(
              new TaskFailure(
                  FailureReason.CLEANUP,
                  null,
                  "cannot remove container " + container + ": " + e.getMessage(),
                  e));
        }
        try (var ignored = MDC.putCloseable("task", ref.runId())) {
          LOG.warn(
              "cannot remove container {} yet: {}; trying again in {} ms",
              container,
              e.getMessage(),
              retry.toMillis());
        }
        try {
          Thread.sleep(retry);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return Optional.of(
              new TaskFailure(
                  FailureReason.CLEANUP,
                  "the worker stopped before container " + container + " could be removed"));
        }
        retry =
            retry.multipliedBy(2).compareTo(MAX_REMOVAL_RETRY) > 0
                ? MAX_REMOVAL_RETRY
                : retry.multipliedBy(2);
      }
    }
  }

  /**
   * Removes a container, or fails when the engine does not answer within {@link #REMOVAL_ATTEMPT}:
   * a request sent to an engine as it stopped may never be answered.
   */
  private void removeWithin(String id) {
    CompletableFuture<Void> removal =
        CompletableFuture.runAsync(
            () -> client.removeContainerCmd(id).withForce(true).exec(), executor);
    try {
      removal.get(REMOVAL_ATTEMPT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException failure
          ? failure
          : new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      removal.cancel(true);
      throw new IllegalStateException(
          "the engine did not answer within " + REMOVAL_ATTEMPT.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while removing container " + id);
    }
  }
}
