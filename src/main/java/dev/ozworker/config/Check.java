package dev.ozworker.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

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
  /** A duration or whole number of more than zero. */
  POSITIVE,
  /** Non-empty text without whitespace, such as an image reference. */
  TOKEN,
  /** Non-empty text. */
  NOT_EMPTY,
  /** An environment variable name: not empty, no whitespace or {@code '='}. */
  VARIABLE_NAME,
  /** A Kubernetes quantity, such as {@code 10Gi}. */
  QUANTITY,
  /** A Linux capability as Docker names it, such as {@code NET_RAW} or {@code CAP_NET_RAW}. */
  CAPABILITY,
  /** Of a map: Kubernetes labels, each key a label key and each value a label value or empty. */
  LABELS,
  /** Of a map: Kubernetes annotations, each key a label key; the values are free text. */
  ANNOTATIONS,
  /** A structure holding a PodSpec: a mapping, and not a whole Pod. */
  POD_SPEC,
  /** A structure holding resource requirements: {@code requests} and {@code limits} quantities. */
  RESOURCES;

  /** The fields of a Pod around its spec, which a PodSpec never has. */
  private static final Set<String> POD_FIELDS = Set.of("apiVersion", "kind", "metadata", "spec");

  private static final Pattern CAPABILITY_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");

  private static final String QUANTITY_FORMAT =
      "write a number with an optional suffix, e.g. 100m, 64Mi or 10Gi";

  private static final String LABEL_FORMAT =
      "at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

  /**
   * Every problem of {@code value}, given at {@code where}; of a map, of each entry; of a list, of
   * each element.
   */
  List<String> problems(String where, Object value, Setting setting) {
    List<String> problems = new ArrayList<>();
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        problem(where + "[" + i + "]", list.get(i), setting).ifPresent(problems::add);
      }
    } else if (value instanceof Map<?, ?> map) {
      map.forEach(
          (name, element) ->
              entryProblem(where, (String) name, (String) element, setting)
                  .ifPresent(problems::add));
    } else if (this == RESOURCES) {
      resourcesProblems(where, (JsonNode) value, problems);
    } else {
      problem(where, value, setting).ifPresent(problems::add);
    }
    return problems;
  }

  /** What is wrong with the entry {@code name: value} of a map given at {@code where}. */
  private Optional<String> entryProblem(String where, String name, String value, Setting setting) {
    return switch (this) {
      case LABELS, ANNOTATIONS -> {
        String kind = this == LABELS ? "label" : "annotation";
        if (!KubernetesNames.isLabelKey(name)) {
          yield Optional.of(
              where
                  + " has the key \""
                  + name
                  + "\", which is not a Kubernetes "
                  + kind
                  + " key: write a name of "
                  + LABEL_FORMAT
                  + ", optionally after a lower-case DNS prefix and '/', e.g."
                  + " example.com/team");
        }
        yield this == LABELS && !value.isEmpty() && !KubernetesNames.isLabelValue(value)
            ? Optional.of(
                where
                    + "."
                    + name
                    + " \""
                    + value
                    + "\" is not a Kubernetes label value: use "
                    + LABEL_FORMAT
                    + ", or \"\"")
            : Optional.empty();
      }
      default -> problem(where + "." + name, value, setting);
    };
  }

  /** What is wrong with {@code value}, given at {@code where}; empty when it passes. */
  private Optional<String> problem(String where, Object value, Setting setting) {
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
          switch (value) {
            case Duration duration when duration.isZero() ->
                Optional.of(where + " must be more than 0s");
            case Number number when number.longValue() <= 0 ->
                Optional.of(where + " must be more than 0, got " + number);
            default -> Optional.empty();
          };
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
      case VARIABLE_NAME ->
          ((String) value).isEmpty() || !EnvVar.isValidName((String) value)
              ? Optional.of(
                  where
                      + " \""
                      + value
                      + "\" is not a variable name: no spaces, tabs or '=', not empty")
              : Optional.empty();
      case QUANTITY ->
          KubernetesNames.isQuantity((String) value)
              ? Optional.empty()
              : Optional.of(
                  where + " \"" + value + "\" is not a Kubernetes quantity: " + QUANTITY_FORMAT);
      case CAPABILITY ->
          CAPABILITY_NAME.matcher((String) value).matches()
              ? Optional.empty()
              : Optional.of(
                  where
                      + " \""
                      + value
                      + "\" is not a capability name: write it as Docker does, in capitals,"
                      + " e.g. NET_RAW or CAP_NET_RAW, or ALL");
      case POD_SPEC -> podSpecProblem(where, (JsonNode) value);
      case LABELS, ANNOTATIONS, RESOURCES ->
          throw new IllegalStateException(where + ": " + this + " checks another type of value");
    };
  }

  private static Optional<String> podSpecProblem(String where, JsonNode value) {
    if (!value.isObject()) {
      return Optional.of(
          where
              + " must be a PodSpec written as a mapping, e.g. {serviceAccountName: oz-tasks,"
              + " nodeSelector: {pool: agents}}, got "
              + value);
    }
    List<String> podFields = POD_FIELDS.stream().filter(value::has).sorted().toList();
    return podFields.isEmpty()
        ? Optional.empty()
        : Optional.of(
            where
                + " holds a whole Pod ("
                + String.join(", ", podFields)
                + "): write only what goes under the Pod's spec");
  }

  private static Optional<String> quantityProblem(String where, JsonNode quantity) {
    return quantity.isValueNode() && KubernetesNames.isQuantity(quantity.asText())
        ? Optional.empty()
        : Optional.of(where + " " + quantity + " is not a Kubernetes quantity: " + QUANTITY_FORMAT);
  }

  /** Requests and limits, each resource names to quantities; nothing else. */
  private static void resourcesProblems(String where, JsonNode value, List<String> problems) {
    if (!value.isObject()) {
      problems.add(
          where
              + " must be a mapping of requests and limits, e.g. {requests: {cpu: 10m, memory:"
              + " 16Mi}, limits: {cpu: 100m, memory: 64Mi}}, got "
              + value);
      return;
    }
    YamlMapping resources = new YamlMapping(where, value, problems);
    for (String part : List.of("requests", "limits")) {
      String at = resources.keyPath(part);
      resources
          .take(part)
          .filter(quantities -> YamlMapping.asMapping(at, quantities, problems).isPresent())
          .ifPresent(
              quantities ->
                  quantities
                      .fields()
                      .forEachRemaining(
                          entry ->
                              quantityProblem(at + "." + entry.getKey(), entry.getValue())
                                  .ifPresent(problems::add)));
    }
    resources.rejectUnknownKeys(Map.of());
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
