package dev.ozworker.task;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The environment of the agent, in order; a later entry replaces the value of an earlier one of the
 * same name and keeps its place. Entries from the task's Secret are secret: {@link #toString()}
 * never shows them and {@link #secretValues()} lists them for redaction.
 */
public record TaskEnv(List<Entry> entries) {

  public TaskEnv {
    entries = List.copyOf(entries);
  }

  /** One variable. */
  public record Entry(String name, String value, boolean secret) {
    /** {@code NAME=value}, as Docker and {@code execve} take it. */
    public String assignment() {
      return name + "=" + value;
    }

    @Override
    public String toString() {
      return secret ? name + "=(secret)" : assignment();
    }
  }

  /**
   * {@code NAME=value} strings as a process receives them: one per name, at the name's first
   * position, with its last value (as Go's {@code os/exec} and the reference worker pass them).
   */
  public List<String> assignments() {
    return asMap().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }

  /** Name to value, a later entry winning. */
  public Map<String, String> asMap() {
    Map<String, String> map = new LinkedHashMap<>();
    entries.forEach(entry -> map.put(entry.name(), entry.value()));
    return map;
  }

  /** The non-empty values of secret entries, for masking output. */
  public Set<String> secretValues() {
    Set<String> values = new LinkedHashSet<>();
    entries.stream()
        .filter(Entry::secret)
        .map(Entry::value)
        .filter(value -> !value.isEmpty())
        .forEach(values::add);
    return values;
  }

  @Override
  public String toString() {
    return entries.toString();
  }
}
