package dev.ozworker.backend.kubernetes;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a task's Pod says about how its run went, read from the Pod's status (and its Events) as the
 * reference worker reads it: one classification function and one list of Oz failure reasons. Pure;
 * the backend calls it on every change of the Pod.
 */
public final class PodFailures {
  /** Waiting reasons of a container whose image cannot be had (kubelet's image manager). */
  static final Set<String> IMAGE_PULL_WAITING =
      Set.of(
          "ErrImagePull",
          "ImagePullBackOff",
          "ErrImageNeverPull",
          "RegistryUnavailable",
          "ImageInspectError");

  static final String INVALID_IMAGE_WAITING = "InvalidImageName";

  /** Waiting reasons of a container the runtime could not create. */
  static final Set<String> CREATE_WAITING =
      Set.of("CreateContainerConfigError", "CreateContainerError");

  static final Pattern TEARDOWN_EXIT =
      Pattern.compile("(?m)^" + TaskWrapper.TEARDOWN_EXIT + "(\\d+)\\s*$");

  private PodFailures() {}

  /**
   * Why the run in {@code pod} failed, or {@code Optional.empty()} while it has not (it runs, or
   * the task container exited 0). In this order:
   *
   * <ol>
   *   <li>{@code evicted}: the Pod's reason is {@code Evicted}, or its message speaks of eviction;
   *   <li>{@code active_deadline}: the Pod's reason is {@code DeadlineExceeded} (its containers
   *       were then killed, which must not read as their own failure);
   *   <li>an init container, native sidecars ({@code restartPolicy: Always}) aside, that exited
   *       non-zero: {@code init_container} with its exit code;
   *   <li>a container (init containers first, native sidecars included: they block the task too)
   *       waiting for an image it cannot pull ({@code image_pull}, also {@code ErrImageNeverPull}
   *       under pull policy {@code Never}), with an invalid image name ({@code invalid_image}), or
   *       that cannot be created ({@code init_container} for an init container, {@code
   *       container_create} otherwise, as the reference does);
   *   <li>a container that exited non-zero: {@code container_oom} when the reason is {@code
   *       OOMKilled}, else {@code container_exit}, with the exit code (128+N after signal N);
   *   <li>{@code unschedulable}: {@code PodScheduled=False} with reason {@code Unschedulable} for
   *       at least {@code unschedulableTimeout} (zero: never);
   *   <li>{@code volume_mount}: a Pending or Failed Pod with a {@code FailedMount} Event (or one
   *       saying {@code MountVolume.SetUp failed}); the kubelet retries mounts, so the caller
   *       passes such Events only once they have lasted;
   *   <li>{@code job_failed}: any other Pod in phase Failed.
   * </ol>
   *
   * @param events the Pod's Events the caller wants considered
   * @param unschedulableFor how long the Pod has been unschedulable (zero when it is not)
   */
  public static Optional<TaskFailure> classify(
      Pod pod, List<Event> events, Duration unschedulableFor, Duration unschedulableTimeout) {
    PodStatus status = pod.getStatus();
    if (status == null || TaskPodState.succeeded(pod)) {
      return Optional.empty();
    }
    Optional<Integer> taskExit = TaskPodState.taskExitCode(pod);
    String reason = Optional.ofNullable(status.getReason()).orElse("");
    String message = Optional.ofNullable(status.getMessage()).orElse("");
    if (reason.equalsIgnoreCase("Evicted") || message.toLowerCase(Locale.ROOT).contains("evict")) {
      return failure(
          FailureReason.EVICTED, taskExit, FailureMessages.podContext(pod) + " was evicted", pod);
    }
    if (reason.equals("DeadlineExceeded")) {
      return failure(
          FailureReason.ACTIVE_DEADLINE,
          taskExit,
          FailureMessages.podContext(pod) + " ran longer than its activeDeadlineSeconds",
          pod);
    }
    Set<String> sidecars = nativeSidecars(pod);
    for (ContainerStatus init : statuses(status.getInitContainerStatuses())) {
      ContainerStateTerminated ended = TaskPodState.terminated(init);
      if (ended != null
          && TaskPodState.exitCode(ended) != 0
          && !sidecars.contains(init.getName())) {
        return Optional.of(
            new TaskFailure(
                FailureReason.INIT_CONTAINER,
                TaskPodState.exitCode(ended),
                FailureMessages.exited(pod, "init container", init.getName(), ended),
                null));
      }
      Optional<TaskFailure> waiting = waiting(pod, init, true);
      if (waiting.isPresent()) {
        return waiting;
      }
    }
    for (ContainerStatus container : taskFirst(status.getContainerStatuses())) {
      ContainerStateTerminated ended = TaskPodState.terminated(container);
      if (ended != null && TaskPodState.exitCode(ended) != 0) {
        FailureReason why =
            "OOMKilled".equals(ended.getReason())
                ? FailureReason.CONTAINER_OOM
                : FailureReason.CONTAINER_EXIT;
        return Optional.of(
            new TaskFailure(
                why,
                TaskPodState.exitCode(ended),
                FailureMessages.exited(pod, "container", container.getName(), ended),
                null));
      }
      Optional<TaskFailure> waiting = waiting(pod, container, false);
      if (waiting.isPresent()) {
        return waiting;
      }
    }
    Optional<PodCondition> unschedulable = TaskPodState.unschedulable(pod);
    if (unschedulable.isPresent()
        && unschedulableTimeout.isPositive()
        && unschedulableFor.compareTo(unschedulableTimeout) >= 0) {
      return Optional.of(
          new TaskFailure(
              FailureReason.UNSCHEDULABLE,
              FailureMessages.podContext(pod)
                  + " could not be scheduled for "
                  + unschedulableFor.toSeconds()
                  + "s"
                  + FailureMessages.details("Pod reason", unschedulable.get().getReason())
                  + FailureMessages.details("Pod message", unschedulable.get().getMessage())));
    }
    String phase = Optional.ofNullable(status.getPhase()).orElse("");
    if (phase.equals("Pending") || phase.equals("Failed")) {
      Optional<Event> mount = MountFailures.latest(events);
      if (mount.isPresent()) {
        return Optional.of(
            new TaskFailure(
                FailureReason.VOLUME_MOUNT,
                FailureMessages.podContext(pod)
                    + " failed to mount a volume"
                    + FailureMessages.details("Event reason", mount.get().getReason())
                    + FailureMessages.details("Event message", mount.get().getMessage())));
      }
    }
    if (phase.equals("Failed")) {
      return failure(
          FailureReason.JOB_FAILED, taskExit, FailureMessages.podContext(pod) + " failed", pod);
    }
    return Optional.empty();
  }

  /** The teardown's failure, when it ran in the Pod and exited non-zero. */
  static Optional<TaskFailure> teardownFailure(Pod pod) {
    return teardownExit(pod)
        .filter(code -> code != 0)
        .map(
            code ->
                new TaskFailure(
                    FailureReason.TEARDOWN_COMMAND,
                    code,
                    "the teardown command exited with code "
                        + code
                        + " in Pod "
                        + pod.getMetadata().getName(),
                    null));
  }

  /**
   * The teardown command's exit status, as the wrapper wrote it to the task container's termination
   * message ({@code teardown-exit=N}); empty when no teardown ran to its end (none configured, or
   * the container was killed first).
   */
  public static Optional<Integer> teardownExit(Pod pod) {
    return TaskPodState.taskEnded(pod)
        .map(ContainerStateTerminated::getMessage)
        .map(TEARDOWN_EXIT::matcher)
        .filter(Matcher::find)
        .map(matcher -> Integer.valueOf(matcher.group(1)));
  }

  private static Optional<TaskFailure> waiting(Pod pod, ContainerStatus status, boolean init) {
    ContainerStateWaiting waiting =
        status.getState() == null ? null : status.getState().getWaiting();
    if (waiting == null || waiting.getReason() == null) {
      return Optional.empty();
    }
    String reason = waiting.getReason();
    FailureReason why;
    if (IMAGE_PULL_WAITING.contains(reason)) {
      why = FailureReason.IMAGE_PULL;
    } else if (INVALID_IMAGE_WAITING.equals(reason)) {
      why = FailureReason.INVALID_IMAGE;
    } else if (CREATE_WAITING.contains(reason)) {
      why = init ? FailureReason.INIT_CONTAINER : FailureReason.CONTAINER_CREATE;
    } else {
      return Optional.empty();
    }
    return Optional.of(
        new TaskFailure(why, FailureMessages.waiting(pod, init, status.getName(), waiting)));
  }

  private static Optional<TaskFailure> failure(
      FailureReason why, Optional<Integer> exitCode, String summary, Pod pod) {
    return Optional.of(
        new TaskFailure(
            why,
            exitCode.orElse(null),
            summary + FailureMessages.podDetails(pod, null, null),
            null));
  }

  private static Set<String> nativeSidecars(Pod pod) {
    if (pod.getSpec() == null) {
      return Set.of();
    }
    return pod.getSpec().getInitContainers().stream()
        .filter(container -> "Always".equals(container.getRestartPolicy()))
        .map(Container::getName)
        .collect(Collectors.toSet());
  }

  /** The task container's status first: when it failed, that is the run's story. */
  private static List<ContainerStatus> taskFirst(List<ContainerStatus> statuses) {
    List<ContainerStatus> ordered = new ArrayList<>(statuses(statuses));
    ordered.sort(Comparator.comparing(status -> !TaskPods.TASK_CONTAINER.equals(status.getName())));
    return ordered;
  }

  private static List<ContainerStatus> statuses(List<ContainerStatus> statuses) {
    return statuses == null ? List.of() : statuses;
  }
}
