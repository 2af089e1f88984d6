package dev.ozworker.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A key with a value, as its {@link Key} declares it.
 *
 * @param type the type of its value ({@code T} of an {@code Optional<T>} component)
 * @param optional whether the component is an {@code Optional}: the key may be absent
 * @param byDefault its declared default, read as the file would read it
 */
record Setting(
    String path,
    Key key,
    RecordComponent component,
    ValueType<Object> type,
    boolean optional,
    Optional<Object> byDefault)
    implements Member {

  @SuppressWarnings("unchecked")
  static Setting of(RecordComponent component, Key key, String path) {
    Type componentType = component.getGenericType();
    boolean optional =
        componentType instanceof ParameterizedType generic
            && generic.getRawType() == Optional.class;
    Type valueType =
        optional ? ((ParameterizedType) componentType).getActualTypeArguments()[0] : componentType;
    ValueType<Object> type = (ValueType<Object>) ValueType.of(valueType, key);
    Setting declared = new Setting(path, key, component, type, optional, Optional.empty());
    declared.checkDeclaration();
    return key.byDefault().isEmpty()
        ? declared
        : new Setting(path, key, component, type, optional, Optional.of(declared.readDefault()));
  }

  /** The declared default, read and checked as a flag's value would be. */
  private Object readDefault() {
    List<String> problems = new ArrayList<>();
    var reading = new ValueType.Reading(Map.of(), Path.of("/"), problems);
    String where = "the default of " + path;
    Optional<Object> value =
        type.parse(where, List.of(key.byDefault()), reading)
            .filter(read -> passesChecks(where, read, reading));
    if (!problems.isEmpty()) {
      throw new IllegalStateException(String.join("; ", problems));
    }
    return value.orElseThrow();
  }

  private void checkDeclaration() {
    if (key.flag().length > 0 && !type.hasText()) {
      throw new IllegalStateException(path + " cannot be given as text, so it can have no flag");
    }
    if (isSwitch() && key.byDefault().isEmpty()) {
      throw new IllegalStateException(
          path + " has a switch flag: declare the default it turns off");
    }
    if (key.blank() == Key.Blank.NONE && !optional) {
      throw new IllegalStateException(path + ": only an Optional key can be cleared by a blank");
    }
    if (!key.inFile() && key.flag().length == 0 && key.env().isEmpty()) {
      throw new IllegalStateException(path + " is read from nowhere: declare a flag or env");
    }
  }

  /** The flag's long name, which names it in messages and in {@link Flags}. */
  Optional<String> flag() {
    return key.flag().length == 0
        ? Optional.empty()
        : Optional.of(key.flag()[key.flag().length - 1]);
  }

  /** A flag without a value, which sets the key to the opposite of its default. */
  boolean isSwitch() {
    return key.flag().length > 0 && Scalars.BOOLEAN.equals(type);
  }

  /** How messages name the key. */
  String noun() {
    return key.noun().isEmpty() ? path : key.noun();
  }

  Optional<String> defaultText() {
    return key.byDefault().isEmpty() ? Optional.empty() : Optional.of(key.byDefault());
  }

  /** What the file gives, checked; empty after a problem, or for a blank that counts as absent. */
  Optional<Given> read(JsonNode node, ValueType.Reading reading) {
    if (!type.repeatable() && node.isTextual() && isBlankSpecial(node.asText())) {
      return blank(path);
    }
    return type.read(path, node, reading)
        .filter(value -> passesChecks(path, value, reading))
        .map(value -> new Given(value, path));
  }

  /** What a flag or environment variable gives as text, checked, as {@link #read} does. */
  Optional<Given> parse(String where, List<String> texts, ValueType.Reading reading) {
    if (isSwitch()) {
      return Optional.of(new Given(!(Boolean) byDefault.orElseThrow(), where));
    }
    if (!type.repeatable() && isBlankSpecial(texts.getLast())) {
      return blank(where);
    }
    return type.parse(where, texts, reading)
        .filter(value -> passesChecks(where, value, reading))
        .map(value -> new Given(value, where));
  }

  /** Whether {@code text} is blank and the key gives blanks a meaning of their own. */
  private boolean isBlankSpecial(String text) {
    return text.isBlank() && key.blank() != Key.Blank.CHECKED;
  }

  /** What a blank means: nothing given, or the key cleared. */
  private Optional<Given> blank(String where) {
    return key.blank() == Key.Blank.NONE ? Optional.of(new Given(null, where)) : Optional.empty();
  }

  private boolean passesChecks(String where, Object value, ValueType.Reading reading) {
    List<String> problems = new ArrayList<>();
    for (Check check : key.check()) {
      problems.addAll(check.problems(where, value, this));
    }
    problems.forEach(reading::problem);
    return problems.isEmpty();
  }

  /** The component's value as {@code check-config} shows it. */
  Object show(Object componentValue) {
    Object value = componentValue;
    if (optional) {
      Optional<?> present = (Optional<?>) componentValue;
      if (present.isEmpty()) {
        return "(" + noneText() + ")";
      }
      value = present.get();
    }
    if (value instanceof Duration duration && duration.isZero() && !key.zero().isEmpty()) {
      return "0s (" + key.zero() + ")";
    }
    return type.show(value);
  }

  /** What the key's absence means. */
  String noneText() {
    return key.none().isEmpty() ? "none" : key.none();
  }
}
