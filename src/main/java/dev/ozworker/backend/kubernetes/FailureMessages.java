package dev.ozworker.backend.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;

/**
 * The messages of {@link PodFailures}, in the reference worker's words: what failed, in which Pod
 * and namespace, then the Pod's phase, reason and message ({@code container task in pod P
 * (namespace N) exited with code 137 (SIGKILL). Pod phase: Failed. Pod reason: OOMKilled}).
 */
final class FailureMessages {
  private FailureMessages() {}

  /** {@code <kind> <name> in pod P (namespace N) is waiting: <reason>: <message>. Pod phase: …}. */
  static String waiting(Pod pod, boolean init, String container, ContainerStateWaiting waiting) {
    String reason = waiting.getReason();
    String summary = nonEmpty(waiting.getMessage()) ? reason + ": " + waiting.getMessage() : reason;
    return (init ? "init container " : "container ")
        + container
        + " in "
        + podContext(pod)
        + " is waiting: "
        + summary
        + podDetails(pod, reason, waiting.getMessage());
  }

  static String exited(Pod pod, String kind, String container, ContainerStateTerminated ended) {
    int code = TaskPodState.exitCode(ended);
    String signal = signalName(code);
    String guidance =
        signal.equals("SIGTERM")
            ? ". SIGTERM usually means Kubernetes asked the container to stop: look for eviction,"
                + " preemption, a node drain, the deadline or a deletion in the Pod's Events"
            : "";
    return kind
        + " "
        + container
        + " in "
        + podContext(pod)
        + " exited with code "
        + code
        + (signal.isEmpty() ? "" : " (" + signal + ")")
        + podDetails(pod, ended.getReason(), withoutTeardownExit(ended.getMessage()))
        + guidance;
  }

  /** {@code pod P (namespace N)}. */
  static String podContext(Pod pod) {
    String name = pod.getMetadata() == null ? null : pod.getMetadata().getName();
    String namespace = pod.getMetadata() == null ? null : pod.getMetadata().getNamespace();
    return "pod " + name + " (namespace " + namespace + ")";
  }

  /**
   * {@code . Pod phase: … . Pod reason: … . Pod message: …}: the container's reason and message
   * where it has them, else the Pod's.
   */
  static String podDetails(Pod pod, String reason, String message) {
    PodStatus status = pod.getStatus();
    return details("Pod phase", status.getPhase())
        + details("Pod reason", nonEmpty(reason) ? reason : status.getReason())
        + details("Pod message", nonEmpty(message) ? message : status.getMessage());
  }

  static String details(String label, String value) {
    return nonEmpty(value) ? ". " + label + ": " + value.strip() : "";
  }

  private static boolean nonEmpty(String text) {
    return text != null && !text.isBlank();
  }

  private static String withoutTeardownExit(String message) {
    return message == null
        ? null
        : PodFailures.TEARDOWN_EXIT.matcher(message).replaceAll("").strip();
  }

  /** The signal an exit status of 128+N stands for: {@code SIGTERM} for 143. */
  static String signalName(int code) {
    int signal = code > 128 ? code - 128 : 0;
    return switch (signal) {
      case 0 -> "";
      case 1 -> "SIGHUP";
      case 2 -> "SIGINT";
      case 3 -> "SIGQUIT";
      case 6 -> "SIGABRT";
      case 9 -> "SIGKILL";
      case 15 -> "SIGTERM";
      default -> "signal " + signal;
    };
  }
}
