package dev.ozworker.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The types of keys that hold more than one value: lists, maps and whole structures. */
final class CollectionTypes {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private CollectionTypes() {}

  /** Binds; flags add theirs after the file's. */
  static final ValueType<List<VolumeMount>> VOLUMES =
      new ValueType<>() {
        @Override
        public Optional<List<VolumeMount>> read(String where, JsonNode node, Reading reading) {
          return elements(where, node, "a list of strings", reading)
              .map(
                  elements -> {
                    List<VolumeMount> mounts = new ArrayList<>();
                    elements.forEach(
                        (at, element) ->
                            scalar(at, element, reading)
                                .flatMap(spec -> mount(at, spec, reading))
                                .ifPresent(mounts::add));
                    return mounts;
                  });
        }

        @Override
        public Optional<List<VolumeMount>> parse(
            String where, List<String> texts, Reading reading) {
          List<VolumeMount> mounts = new ArrayList<>();
          texts.forEach(spec -> mount(where, spec, reading).ifPresent(mounts::add));
          return Optional.of(mounts);
        }

        @Override
        public Object show(List<VolumeMount> value) {
          return value.stream().map(VolumeMount::toBind).toList();
        }

        @Override
        public String label() {
          return "HOST:CONTAINER[:MODE]";
        }

        @Override
        public List<VolumeMount> merge(List<VolumeMount> fromFile, List<VolumeMount> fromFlags) {
          List<VolumeMount> all = new ArrayList<>(fromFile);
          all.addAll(fromFlags);
          return all;
        }

        @Override
        public Optional<List<VolumeMount>> whenAbsent() {
          return Optional.of(List.of());
        }

        @Override
        public boolean repeatable() {
          return true;
        }
      };

  /**
   * Variables for every task, their values resolved: an entry without a value passes the worker's
   * own on (empty when unset). Flags replace the file's values by name and add new names after.
   */
  static final ValueType<List<EnvVar>> ENVIRONMENT =
      new ValueType<>() {
        @Override
        public Optional<List<EnvVar>> read(String where, JsonNode node, Reading reading) {
          return elements(where, node, "a list of mappings", reading)
              .map(
                  elements -> {
                    List<EnvVar> variables = new ArrayList<>();
                    elements.forEach(
                        (at, element) ->
                            YamlMapping.asMapping(at, element, reading.problems())
                                .flatMap(entry -> variable(entry, reading))
                                .ifPresent(variables::add));
                    return variables;
                  });
        }

        @Override
        public Optional<List<EnvVar>> parse(String where, List<String> texts, Reading reading) {
          Map<String, String> values = new LinkedHashMap<>();
          for (String entry : texts) {
            int equals = entry.indexOf('=');
            String name = equals < 0 ? entry : entry.substring(0, equals);
            if (!EnvVar.isValidName(name)) {
              reading.problem(
                  where
                      + " \""
                      + entry
                      + "\": expected KEY=VALUE or KEY, with a KEY free of spaces and tabs");
              continue;
            }
            values.put(
                name,
                equals < 0 ? reading.env().getOrDefault(name, "") : entry.substring(equals + 1));
          }
          return Optional.of(variables(values));
        }

        @Override
        public Object show(List<EnvVar> value) {
          return value.stream()
              .map(variable -> Map.of("name", variable.name(), "value", "(hidden)"))
              .toList();
        }

        @Override
        public String label() {
          return "KEY[=VALUE]";
        }

        /**
         * The file's variables in order, values replaced by the flags', then the flags' new ones.
         */
        @Override
        public List<EnvVar> merge(List<EnvVar> fromFile, List<EnvVar> fromFlags) {
          Map<String, String> merged = new LinkedHashMap<>();
          fromFile.forEach(variable -> merged.put(variable.name(), variable.value()));
          fromFlags.forEach(variable -> merged.put(variable.name(), variable.value()));
          return variables(merged);
        }

        @Override
        public Optional<List<EnvVar>> whenAbsent() {
          return Optional.of(List.of());
        }

        @Override
        public boolean repeatable() {
          return true;
        }
      };

  /**
   * Texts, such as capability names; a key's checks apply to each. As text (a default, a flag) the
   * list is written as in the file, in flow YAML: {@code [A, B]}.
   */
  static final ValueType<List<String>> TEXT_LIST =
      new ValueType<>() {
        @Override
        public Optional<List<String>> read(String where, JsonNode node, Reading reading) {
          return elements(where, node, "a list of strings", reading)
              .map(
                  elements -> {
                    List<String> texts = new ArrayList<>();
                    elements.forEach(
                        (at, element) ->
                            scalar(at, element, reading).map(String::trim).ifPresent(texts::add));
                    return texts;
                  });
        }

        @Override
        public Optional<List<String>> parse(String where, List<String> texts, Reading reading) {
          try {
            return read(where, YAML.readTree(texts.getLast()), reading);
          } catch (JsonProcessingException e) {
            return Scalars.problem(
                reading, where + " is not a YAML list, e.g. [A, B]: " + e.getOriginalMessage());
          }
        }

        @Override
        public Object show(List<String> value) {
          return value;
        }

        @Override
        public String label() {
          return "[TEXT, ...]";
        }

        @Override
        public Optional<List<String>> whenAbsent() {
          return Optional.of(List.of());
        }
      };

  /** Names to texts, such as harness names to images; a key's checks apply to each text. */
  static final ValueType<Map<String, String>> TEXT_MAP =
      new Structure<>("a mapping of names to values") {
        @Override
        public Optional<Map<String, String>> read(String where, JsonNode node, Reading reading) {
          return YamlMapping.asMapping(where, node, reading.problems())
              .map(
                  mapping -> {
                    Map<String, String> values = new LinkedHashMap<>();
                    node.fieldNames()
                        .forEachRemaining(
                            name -> {
                              JsonNode value = node.get(name);
                              if (!value.isNull()) {
                                scalar(where + "." + name, value, reading)
                                    .ifPresent(text -> values.put(name, text.trim()));
                              }
                            });
                    return values;
                  });
        }

        @Override
        public Object show(Map<String, String> value) {
          return value;
        }

        @Override
        public Optional<Map<String, String>> whenAbsent() {
          return Optional.of(Map.of());
        }
      };

  /**
   * A structure kept as the file writes it, for the part of the system that knows its shape (such
   * as a Kubernetes object, which configuration may not depend on). Its {@link Key#check()}s look
   * at the shape as far as configuration can.
   */
  static final ValueType<JsonNode> TREE =
      new Structure<>("a structure") {
        @Override
        public Optional<JsonNode> read(String where, JsonNode node, Reading reading) {
          return Optional.of(node.deepCopy());
        }

        /** Only a declared default is given as text, written as in the file (flow YAML). */
        @Override
        public Optional<JsonNode> parse(String where, List<String> texts, Reading reading) {
          try {
            return Optional.of(YAML.readTree(texts.getLast()));
          } catch (JsonProcessingException e) {
            return Scalars.problem(
                reading, where + " is not a YAML structure: " + e.getOriginalMessage());
          }
        }

        @Override
        public Object show(JsonNode value) {
          return value;
        }
      };

  /** A type that only the file can give, never text. */
  private abstract static class Structure<T> implements ValueType<T> {
    private final String what;

    Structure(String what) {
      this.what = what;
    }

    @Override
    public Optional<T> parse(String where, List<String> texts, Reading reading) {
      throw new IllegalStateException(where + " is " + what + ", which cannot be given as text");
    }

    @Override
    public String label() {
      return what;
    }

    @Override
    public boolean hasText() {
      return false;
    }
  }

  private static Optional<EnvVar> variable(YamlMapping entry, ValueType.Reading reading) {
    Optional<String> name = entry.string("name");
    Optional<String> value = entry.string("value");
    entry.rejectUnknownKeys(Map.of());
    if (name.isEmpty() || name.get().isEmpty()) {
      reading.problem(
          entry.keyPath("name") + " is required: the variable's name, e.g. HTTPS_PROXY");
      return Optional.empty();
    }
    if (!EnvVar.isValidName(name.get())) {
      reading.problem(
          entry.keyPath("name") + " \"" + name.get() + "\" must not contain spaces, tabs or '='");
      return Optional.empty();
    }
    return Optional.of(
        new EnvVar(name.get(), value.orElse(reading.env().getOrDefault(name.get(), ""))));
  }

  private static List<EnvVar> variables(Map<String, String> values) {
    return values.entrySet().stream()
        .map(variable -> new EnvVar(variable.getKey(), variable.getValue()))
        .toList();
  }

  private static Optional<VolumeMount> mount(String where, String spec, ValueType.Reading reading) {
    try {
      return Optional.of(VolumeMount.parse(spec));
    } catch (IllegalArgumentException e) {
      return Scalars.problem(reading, where + " \"" + spec + "\": " + e.getMessage());
    }
  }

  /** The elements of a list by their paths; a problem when the node is no list. */
  private static Optional<Map<String, JsonNode>> elements(
      String where, JsonNode node, String expected, ValueType.Reading reading) {
    if (!node.isArray()) {
      return Scalars.problem(reading, where + " must be " + expected + ", got " + node);
    }
    Map<String, JsonNode> elements = new LinkedHashMap<>();
    for (int i = 0; i < node.size(); i++) {
      elements.put(where + "[" + i + "]", node.get(i));
    }
    return Optional.of(elements);
  }

  private static Optional<String> scalar(String where, JsonNode node, ValueType.Reading reading) {
    return node.isValueNode()
        ? Optional.of(node.asText())
        : Scalars.problem(reading, where + " must be a single value, got " + node);
  }
}
