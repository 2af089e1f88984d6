package dev.ozworker.config;

import java.time.Duration;
import java.util.Optional;

/** Checks a key's value must pass beyond its type, declared with {@link Key#check()}. */
public enum Check {
  /**
   * A worker id labels every AgentTask the replica owns, so it must be a label value; ids starting
   * with {@code warp} belong to Oz.
   */
  WORKER_ID,
  /** An RFC 1123 label, as Kubernetes names namespaces. */
  NAMESPACE,
  /** A TCP port; 0 asks for a free one. */
  TCP_PORT,
  /** A duration of more than zero. */
  POSITIVE,
  /** Non-empty text without whitespace, such as an image reference. */
  TOKEN,
  /** Non-empty text. */
  NOT_EMPTY;

  /** What is wrong with {@code value}, given at {@code where}; empty when it passes. */
  Optional<String> problem(String where, Object value, Setting setting) {
    return switch (this) {
      case WORKER_ID -> workerIdProblem(where, (String) value);
      case NAMESPACE ->
          KubernetesNames.isDnsLabel((String) value)
              ? Optional.empty()
              : Optional.of(
                  where
                      + " \""
                      + value
                      + "\" is not a Kubernetes namespace name: use at most 63 lower-case"
                      + " letters, digits or '-', starting and ending with a letter or digit");
      case TCP_PORT ->
          (int) value <= 65535
              ? Optional.empty()
              : Optional.of(
                  where + " must be a TCP port (0-65535; 0 picks a free one), got " + value);
      case POSITIVE ->
          ((Duration) value).isZero()
              ? Optional.of(where + " must be more than 0s")
              : Optional.empty();
      case TOKEN ->
          ((String) value).isBlank() || YamlMapping.containsWhitespace((String) value)
              ? Optional.of(where + " \"" + value + "\" must be non-empty without whitespace")
              : Optional.empty();
      case NOT_EMPTY ->
          ((String) value).isBlank()
              ? Optional.of(
                  where
                      + " is empty"
                      + setting
                          .defaultText()
                          .map(text -> ": give a value such as " + text)
                          .orElse(""))
              : Optional.empty();
    };
  }

  private static Optional<String> workerIdProblem(String where, String workerId) {
    if (workerId.startsWith("warp")) {
      return Optional.of(
          "worker id \""
              + workerId
              + "\" is reserved: ids starting with 'warp' belong to Oz; choose another ("
              + where
              + ")");
    }
    if (!KubernetesNames.isLabelValue(workerId)) {
      return Optional.of(
          "worker id \""
              + workerId
              + "\" ("
              + where
              + ") cannot label Kubernetes resources: use at most 63 letters, digits, '-', '_' or"
              + " '.', starting and ending with a letter or digit");
    }
    return Optional.empty();
  }
}
