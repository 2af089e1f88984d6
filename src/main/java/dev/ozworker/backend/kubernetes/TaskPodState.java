package dev.ozworker.backend.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What a task Pod's status says about the run, read the same way wherever it is needed. */
final class TaskPodState {
  private TaskPodState() {}

  /** The status of the task container, once the kubelet reports one. */
  static Optional<ContainerStatus> task(Pod pod) {
    return container(pod, TaskPods.TASK_CONTAINER, false);
  }

  /** The status of the container of that name, among the init containers when {@code init}. */
  static Optional<ContainerStatus> container(Pod pod, String name, boolean init) {
    if (pod.getStatus() == null) {
      return Optional.empty();
    }
    List<ContainerStatus> statuses =
        init ? pod.getStatus().getInitContainerStatuses() : pod.getStatus().getContainerStatuses();
    return Optional.ofNullable(statuses).stream()
        .flatMap(List::stream)
        .filter(status -> name.equals(status.getName()))
        .findFirst();
  }

  /** Whether the agent's container has started: it runs, or ran and ended. */
  static boolean taskStarted(Pod pod) {
    return task(pod)
        .map(ContainerStatus::getState)
        .map(state -> state.getRunning() != null || state.getTerminated() != null)
        .orElse(false);
  }

  /** The task container's end, once it ended. */
  static Optional<ContainerStateTerminated> taskEnded(Pod pod) {
    return task(pod).map(TaskPodState::terminated);
  }

  /** The task container's exit status (128+N after signal N), once it has exited. */
  static Optional<Integer> taskExitCode(Pod pod) {
    return taskEnded(pod).map(TaskPodState::exitCode);
  }

  /** Whether the agent finished well: the task container exited 0 and no signal killed it. */
  static boolean succeeded(Pod pod) {
    return taskExitCode(pod).filter(code -> code == 0).isPresent();
  }

  /** A container's end, or null while it has not ended. */
  static ContainerStateTerminated terminated(ContainerStatus status) {
    return status.getState() == null ? null : status.getState().getTerminated();
  }

  /** The exit status, 128+N when the container was killed by signal N. */
  static int exitCode(ContainerStateTerminated ended) {
    Integer signal = ended.getSignal();
    if (signal != null && signal > 0) {
      return 128 + signal;
    }
    return ended.getExitCode() == null ? 0 : ended.getExitCode();
  }

  /**
   * Whether the kubelet reports that it cannot create one of the Pod's containers yet ({@code
   * CreateContainerConfigError}, {@code CreateContainerError}). It retries: a Secret it has not
   * synced yet ("failed to sync secret cache") or a key made a moment late is found then.
   */
  static boolean cannotCreateYet(Pod pod) {
    if (pod.getStatus() == null) {
      return false;
    }
    return java.util.stream.Stream.of(
            pod.getStatus().getInitContainerStatuses(), pod.getStatus().getContainerStatuses())
        .filter(Objects::nonNull)
        .flatMap(List::stream)
        .map(ContainerStatus::getState)
        .filter(Objects::nonNull)
        .map(ContainerState::getWaiting)
        .filter(Objects::nonNull)
        .anyMatch(waiting -> PodFailures.CREATE_WAITING.contains(waiting.getReason()));
  }

  /** Whether the Pod is over: Succeeded or Failed. */
  static boolean podOver(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  /**
   * How long the scheduler has found no node for the Pod, by the {@code PodScheduled} condition;
   * empty when it is scheduled or has not said.
   */
  static Optional<Duration> unschedulableFor(Pod pod, Instant now) {
    return unschedulable(pod)
        .map(PodCondition::getLastTransitionTime)
        .flatMap(TaskPodState::instant)
        .map(since -> Duration.between(since, now))
        .map(waited -> waited.isNegative() ? Duration.ZERO : waited);
  }

  /**
   * The {@code PodScheduled=False} condition with reason {@code Unschedulable}, if the Pod has it.
   */
  static Optional<PodCondition> unschedulable(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getConditions().stream()
        .filter(condition -> "PodScheduled".equals(condition.getType()))
        .filter(condition -> "False".equals(condition.getStatus()))
        .filter(condition -> "Unschedulable".equals(condition.getReason()))
        .findFirst();
  }

  private static Optional<Instant> instant(String timestamp) {
    if (timestamp == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(timestamp));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
