package dev.ozworker.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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

  Optional<YamlMapping> mapping(String key) {
    return take(key).flatMap(value -> asMapping(keyPath(key), value, problems));
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
