package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.BackendKind;
import dev.ozworker.task.InvalidTaskException;
import dev.ozworker.task.TaskResolver;
import dev.ozworker.task.TaskSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an earlier worker process left, read from a task's status when this process has no run for
 * it: a Preparing or Running task is reattached through its backend (a run that cannot be found
 * ends failed, saying so), and a finished task without the TornDown condition still gets its
 * cleanup.
 */
final class TaskRecovery {
  private static final Logger log = LoggerFactory.getLogger(TaskRecovery.class);

  /** Between SIGTERM and SIGKILL for a run stopped because its Secret is gone. */
  static final Duration SECRETLESS_STOP_GRACE = Duration.ofSeconds(10);

  private final Map<BackendKind, Backend> backends;
  private final TaskResolver resolver;
  private final EnvSecretRule secretRule;
  private final TaskStatuses statuses;
  private final StatusWriter writer;
  private final Optional<String> ownPod;
  private final Consumer<ResourceID> wake;
  private final Clock clock;

  TaskRecovery(
      Map<BackendKind, Backend> backends,
      TaskResolver resolver,
      EnvSecretRule secretRule,
      TaskStatuses statuses,
      StatusWriter writer,
      Optional<String> ownPod,
      Consumer<ResourceID> wake,
      Clock clock) {
    this.backends = backends;
    this.resolver = resolver;
    this.secretRule = secretRule;
    this.statuses = statuses;
    this.writer = writer;
    this.ownPod = ownPod;
    this.wake = wake;
    this.clock = clock;
  }

  /** The run to follow for the task; empty when nothing of it is left to watch or clean up. */
  Optional<TaskRun> recover(AgentTask task, TaskContext context) {
    if (!TaskLifecycle.startRecorded(task.getStatus())) {
      return Optional.empty();
    }
    AgentTaskStatus status = task.getStatus();
    AgentTaskPhase phase = TaskLifecycle.phaseOf(status);
    ResourceID id = ResourceID.fromResource(task);
    String backendName = status.getBackendRef().backend();
    Backend backend = BackendKind.fromConfigName(backendName).map(backends::get).orElse(null);
    if (backend == null) {
      if (!phase.isTerminal()) {
        writer.write(
            task,
            statuses.lost(
                task,
                "the worker restarted and no longer runs the "
                    + backendName
                    + " backend, so it cannot find the run again"),
            context);
      }
      return Optional.empty();
    }
    if (phase.isTerminal()) {
      boolean cleanedUp =
          AgentTaskConditions.find(status.getConditions(), AgentTaskConditions.TORN_DOWN)
              .isPresent();
      return cleanedUp
          ? Optional.empty()
          : Optional.of(TaskRun.finishedEarlier(id, backend, status.getBackendRef(), wake, clock));
    }
    Optional<String> lostWith = podOfLostRun(status, backend);
    if (lostWith.isPresent()) {
      return Optional.of(lost(task, backend, lostWith.get()));
    }
    return Optional.of(reattach(task, backend, context));
  }

  /**
   * The pod a run died with: one of a backend whose runs end with the worker's pod (processes),
   * recorded by a worker in another pod than this one. Nothing of it can be found from here.
   */
  private Optional<String> podOfLostRun(AgentTaskStatus status, Backend backend) {
    Optional<String> pod = Optional.ofNullable(status.getPodName()).filter(p -> !p.isEmpty());
    return backend.runsOutliveWorker() || ownPod.isEmpty() || pod.equals(ownPod)
        ? Optional.empty()
        : pod;
  }

  /**
   * A run that ended with the pod of the worker that ran it: it fails as an interruption of the
   * infrastructure, which tells Oz the task may be tried again, and is still cleaned up.
   */
  private TaskRun lost(AgentTask task, Backend backend, String pod) {
    AgentTaskStatus status = task.getStatus();
    String name = task.getMetadata().getName();
    Instant handedOver = KubernetesTime.parse(status.getStartedAt()).orElse(clock.instant());
    TaskRun run = earlierRun(task, backend, null, handedOver);
    String was = status.getPhase() == AgentTaskPhase.Running ? "running" : "being prepared";
    log.info("AgentTask {} was {} in pod {}, which is gone: its run was lost", name, was, pod);
    run.finished(
        new TaskOutcome.Failed(
            new TaskFailure(
                FailureReason.GRACEFUL_SHUTDOWN,
                "the run was lost with its pod: it was "
                    + was
                    + " on the "
                    + backend.kind().configName()
                    + " backend in pod "
                    + pod
                    + " of worker "
                    + status.getWorkerId()
                    + ", which is gone, and a "
                    + backend.kind().configName()
                    + " run is a process in the worker's pod; it was not started again"),
            ""));
    return run;
  }

  /**
   * The run an earlier process handed over, known by its task's stored backend reference; {@code
   * spec} is null when the run is only to be ended.
   */
  private TaskRun earlierRun(AgentTask task, Backend backend, TaskSpec spec, Instant handedOver) {
    return TaskRun.earlier(
        ResourceID.fromResource(task),
        backend,
        spec,
        task.getStatus().getBackendRef(),
        handedOver,
        wake,
        clock);
  }

  /**
   * The task names a Secret that is gone: without its values the run's output could only be read
   * unmasked, so it is not read at all. The run is stopped and fails, saying why; its cleanup
   * follows as for any failed run.
   */
  private TaskRun withoutItsSecret(
      AgentTask task, Backend backend, String secretName, Instant handedOver) {
    AgentTaskStatus status = task.getStatus();
    String name = task.getMetadata().getName();
    TaskRun run = earlierRun(task, backend, null, handedOver);
    log.warn(
        "AgentTask {}: its Secret {} is gone, so its run's output cannot be masked: stopping the"
            + " run instead of reattaching to it",
        name,
        secretName);
    backend.cancel(status.getBackendRef(), SECRETLESS_STOP_GRACE);
    run.finished(
        new TaskOutcome.Failed(
            new TaskFailure(
                FailureReason.UNKNOWN,
                "the worker restarted and the task's Secret "
                    + secretName
                    + " (spec.envFrom.secretName) no longer exists: without its values the run's"
                    + " output cannot be masked, so the run was stopped rather than followed;"
                    + " run the task again"),
            ""));
    return run;
  }

  private TaskRun reattach(AgentTask task, Backend backend, TaskContext context) {
    AgentTaskStatus status = task.getStatus();
    Instant handedOver = KubernetesTime.parse(status.getStartedAt()).orElse(clock.instant());
    TaskSpec spec = null;
    String problem = "";
    Optional<String> secretName = EnvSecrets.secretName(task);
    try {
      EnvSecrets secrets = new EnvSecrets(context.client(), secretRule);
      // A Secret that cannot be read (forbidden, API server away) throws: the reconcile fails and
      // is retried, and the run is left alone meanwhile, its output unread.
      Optional<Secret> secret = secrets.read(task);
      if (secretName.isPresent() && secret.isEmpty()) {
        return withoutItsSecret(task, backend, secretName.get(), handedOver);
      }
      // The earlier process may have stopped between starting the run and owning its Secret.
      secret.ifPresent(found -> secrets.own(task, found));
      Map<String, String> env = secret.map(EnvSecrets::entries).orElse(Map.of());
      spec = resolver.resolve(TaskObjects.of(task), task.getSpec(), env);
    } catch (InvalidTaskException e) {
      problem = e.getMessage();
    }
    TaskRun run = earlierRun(task, backend, spec, handedOver);
    log.info(
        "reattaching AgentTask {}, left by an earlier worker process or replica",
        task.getMetadata().getName());
    if (spec != null) {
      run.reattach();
    } else {
      run.finished(
          new TaskOutcome.Failed(
              new TaskFailure(
                  FailureReason.UNKNOWN,
                  "the worker restarted and could not resolve the task again to find its run: "
                      + problem),
              ""));
    }
    return run;
  }
}
