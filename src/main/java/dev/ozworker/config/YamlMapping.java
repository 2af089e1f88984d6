package dev.ozworker.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One mapping of the config file, read key by key. Every read records the key as known, so that
 * {@link #rejectUnknownKeys} can name what is left over; every problem is added to a shared list
 * with the full key path, so the operator sees all of them at once.
 */
final class YamlMapping {
  private final String path;
  private final JsonNode node;
  private final List<String> problems;
  private final Set<String> known = new LinkedHashSet<>();

  YamlMapping(String path, JsonNode node, List<String> problems) {
    this.path = path;
    this.node = node;
    this.problems = problems;
  }

  String keyPath(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  void problem(String message) {
    problems.add(message);
  }

  /** The value under {@code key}; empty when absent or null. */
  Optional<JsonNode> take(String key) {
    known.add(key);
    JsonNode value = node.get(key);
    return value == null || value.isNull() ? Optional.empty() : Optional.of(value);
  }

  Optional<String> string(String key) {
    return take(key).flatMap(value -> scalar(keyPath(key), value));
  }

  /** A string that must not contain spaces or tabs, such as an image reference. */
  Optional<String> token(String key) {
    return checked(
        key,
        string(key),
        value -> !value.isBlank() && !containsWhitespace(value),
        value -> "\"" + value + "\" must be non-empty without whitespace");
  }

  Optional<Boolean> bool(String key) {
    return checked(
            key, take(key), JsonNode::isBoolean, value -> "must be true or false, got " + value)
        .map(JsonNode::booleanValue);
  }

  /** A whole number of zero or more. */
  Optional<Integer> count(String key, String meaningOfZero) {
    return checked(
            key,
            take(key),
            value -> value.isIntegralNumber() && value.canConvertToInt() && value.intValue() >= 0,
            value ->
                "must be a whole number of 0 or more (0 = " + meaningOfZero + "), got " + value)
        .map(JsonNode::intValue);
  }

  /** {@code value} if it passes {@code ok}; otherwise a problem saying what {@code key} must be. */
  private <T> Optional<T> checked(
      String key, Optional<T> value, Predicate<T> ok, Function<T, String> mustBe) {
    value.filter(ok.negate()).ifPresent(bad -> problem(keyPath(key) + " " + mustBe.apply(bad)));
    return value.filter(ok);
  }

  Optional<Duration> duration(String key) {
    return string(key).flatMap(text -> duration(keyPath(key), text, problems));
  }

  static Optional<Duration> duration(String where, String text, List<String> problems) {
    Optional<Duration> duration = GoDuration.parse(text.trim());
    if (duration.isEmpty()) {
      problems.add(
          where
              + " \""
              + text
              + "\" is not a duration: write a number with a unit, e.g. 90s,"
              + " 45m or 1h30m");
    }
    return duration;
  }

  List<String> strings(String key) {
    List<String> values = new ArrayList<>();
    elements(key, "a list of strings")
        .forEach((where, element) -> scalar(where, element).ifPresent(values::add));
    return values;
  }

  /** A mapping of names to tokens, such as harness names to images. */
  Map<String, String> tokenMap(String key) {
    Map<String, String> values = new LinkedHashMap<>();
    mapping(key)
        .ifPresent(
            child ->
                child
                    .node
                    .fieldNames()
                    .forEachRemaining(
                        name -> child.token(name).ifPresent(value -> values.put(name, value))));
    return values;
  }

  Optional<YamlMapping> mapping(String key) {
    return take(key).flatMap(value -> asMapping(keyPath(key), value, problems));
  }

  List<YamlMapping> mappings(String key) {
    List<YamlMapping> values = new ArrayList<>();
    elements(key, "a list of mappings")
        .forEach((where, element) -> asMapping(where, element, problems).ifPresent(values::add));
    return values;
  }

  /** The elements of the list under {@code key} by their paths; a problem when it is no list. */
  private Map<String, JsonNode> elements(String key, String expected) {
    Map<String, JsonNode> elements = new LinkedHashMap<>();
    take(key)
        .ifPresent(
            list -> {
              if (!list.isArray()) {
                problem(keyPath(key) + " must be " + expected + ", got " + list);
                return;
              }
              for (int i = 0; i < list.size(); i++) {
                elements.put(keyPath(key) + "[" + i + "]", list.get(i));
              }
            });
    return elements;
  }

  /**
   * Reports every key of this mapping that no read asked for, with the closest known key when one
   * is near, and {@code hints} for keys that are known to belong elsewhere.
   */
  void rejectUnknownKeys(Map<String, String> hints) {
    for (String key : (Iterable<String>) () -> node.fieldNames()) {
      if (known.contains(key)) {
        continue;
      }
      String message = "unknown key '" + keyPath(key) + "'";
      if (hints.containsKey(key)) {
        message += ": " + hints.get(key);
      } else {
        message += closest(key).map(near -> ": did you mean '" + near + "'?").orElse("");
        message +=
            " ("
                + (path.isEmpty() ? "the top level" : path)
                + " takes "
                + String.join(", ", known)
                + ")";
      }
      problem(message);
    }
  }

  static Optional<YamlMapping> asMapping(String path, JsonNode value, List<String> problems) {
    if (!value.isObject()) {
      problems.add(
          (path.isEmpty()
                  ? "the file must be a mapping of keys such as worker_id and backend"
                  : path + " must be a mapping of keys to values")
              + ", got "
              + value);
      return Optional.empty();
    }
    return Optional.of(new YamlMapping(path, value, problems));
  }

  static boolean containsWhitespace(String value) {
    return value.indexOf(' ') >= 0 || value.indexOf('\t') >= 0;
  }

  private Optional<String> scalar(String where, JsonNode value) {
    if (!value.isValueNode()) {
      problem(where + " must be a single value, got " + value);
      return Optional.empty();
    }
    return Optional.of(value.asText());
  }

  private Optional<String> closest(String key) {
    return known.stream()
        .filter(candidate -> editDistance(candidate, key) <= 2 || candidate.startsWith(key))
        .min(Comparator.comparingInt(candidate -> editDistance(candidate, key)));
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
