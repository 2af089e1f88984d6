package dev.ozworker.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One resolution of the declared keys from their sources, in precedence: a flag, then the file,
 * then the environment variable, then the default (a list's flags add to the file's list). Every
 * problem is collected; a block whose keys all resolved becomes its record.
 */
final class Resolution {
  private final Block root;
  private final ConfigFile file;
  private final Flags flags;
  private final ValueType.Reading reading;
  private final Set<String> applicableFlags = new HashSet<>();

  /** The value of every key resolved without a problem, by path; null when it is absent. */
  private final Map<String, Object> resolved = new LinkedHashMap<>();

  /** The paths of the keys a source gave, rather than their default. */
  private final Set<String> given = new HashSet<>();

  Resolution(
      Block root, ConfigFile file, Flags flags, Map<String, String> env, Path workingDirectory) {
    this.root = root;
    this.file = file;
    this.flags = flags;
    this.reading = new ValueType.Reading(env, workingDirectory, new ArrayList<>());
    Set<String> declared = new HashSet<>();
    Schema.flags(root).forEach(flag -> declared.add(flag.names().getLast()));
    flags.given().keySet().stream()
        .filter(flag -> !declared.contains(flag))
        .findFirst()
        .ifPresent(
            flag -> {
              throw new IllegalArgumentException(flag + " is not a flag of any key");
            });
  }

  List<String> problems() {
    return reading.problems();
  }

  /**
   * The record of the root block; empty when a key has a problem, or when a flag given belongs to a
   * backend that does not run.
   */
  Optional<Object> resolve() {
    Optional<Object> record = block(root);
    root.members().stream()
        .filter(BackendChoice.class::isInstance)
        .forEach(choice -> rejectFlagsOfOtherBackends((BackendChoice) choice));
    return problems().isEmpty() ? record : Optional.empty();
  }

  /** The record of {@code block}; empty when a key of it has a problem. */
  Optional<Object> block(Block block) {
    List<Object> values = new ArrayList<>();
    boolean complete = true;
    for (Member member : block.members()) {
      Optional<Object> value =
          switch (member) {
            case Setting setting -> setting(setting);
            case Nested nested -> block(nested.block());
            case BackendChoice choice -> backend(choice);
          };
      complete &= value.isPresent();
      values.add(value.orElse(null));
    }
    return complete ? Optional.of(block.construct(values)) : Optional.empty();
  }

  /** Problems for flags given that no resolved key declares: they belong to another backend. */
  private void rejectFlagsOfOtherBackends(BackendChoice choice) {
    for (String flag : flags.given().keySet()) {
      if (applicableFlags.contains(flag)) {
        continue;
      }
      List<String> kinds =
          choice.blocks().entrySet().stream()
              .filter(
                  entry ->
                      entry.getValue().settings().anyMatch(s -> s.flag().equals(Optional.of(flag))))
              .map(entry -> entry.getKey().configName())
              .toList();
      String backends = Scalars.or(kinds);
      reading.problem(
          flag
              + " applies to the "
              + backends
              + " backend only: drop it or run with "
              + choice.flag()
              + " "
              + kinds.getFirst());
    }
  }

  /** The value of the key at {@code path}; empty when it is absent or has a problem. */
  Optional<Object> value(String path) {
    Schema.setting(root, path);
    return Optional.ofNullable(resolved.get(path));
  }

  /** Whether a flag, the file or an environment variable gave the key at {@code path}. */
  boolean isGiven(String path) {
    return value(path).isPresent() && given.contains(path);
  }

  private Optional<Object> setting(Setting setting) {
    int problemsBefore = reading.problems().size();
    setting.flag().ifPresent(applicableFlags::add);
    Optional<Given> fromFlags =
        setting
            .flag()
            .filter(flag -> flags.given().containsKey(flag))
            .filter(flag -> !(setting.key().zeroFlagDefers() && isZero(flags.given().get(flag))))
            .flatMap(flag -> setting.parse(flag, flags.given().get(flag), reading));
    Optional<Given> fromFile = Optional.ofNullable(file.values().get(setting.path()));
    Optional<Given> source =
        setting.type().repeatable()
            ? merged(setting, fromFile, fromFlags)
            : fromFlags.or(() -> fromFile).or(() -> fromEnvironment(setting));
    if (reading.problems().size() > problemsBefore) {
      return Optional.empty();
    }
    source.ifPresent(present -> given.add(setting.path()));
    Object value =
        source.isPresent()
            ? source.get().value()
            : setting.byDefault().or(() -> setting.type().whenAbsent()).orElse(null);
    if (value == null && !setting.optional()) {
      reading.problem(setting.noun() + " is missing: " + Schema.waysToGive(setting));
      return Optional.empty();
    }
    if (value != null) {
      resolved.put(setting.path(), value);
    }
    return Optional.of(setting.optional() ? Optional.ofNullable(value) : value);
  }

  private static boolean isZero(List<String> texts) {
    return texts.getLast().strip().matches("[+-]?0+");
  }

  /** A list both sources may add to; empty when neither gives one. */
  private static Optional<Given> merged(
      Setting setting, Optional<Given> fromFile, Optional<Given> fromFlags) {
    if (fromFile.isEmpty() && fromFlags.isEmpty()) {
      return Optional.empty();
    }
    Object empty = setting.type().whenAbsent().orElseThrow();
    return Optional.of(
        new Given(
            setting
                .type()
                .merge(
                    fromFile.map(Given::value).orElse(empty),
                    fromFlags.map(Given::value).orElse(empty)),
            fromFlags.or(() -> fromFile).orElseThrow().where()));
  }

  private Optional<Given> fromEnvironment(Setting setting) {
    String variable = setting.key().env();
    return Optional.ofNullable(variable.isEmpty() ? null : reading.env().get(variable))
        .map(String::trim)
        .filter(text -> !text.isEmpty())
        .flatMap(text -> setting.parse(variable, List.of(text), reading));
  }

  private Optional<Object> backend(BackendChoice choice) {
    applicableFlags.add(choice.flag());
    Optional<BackendKind> inFile =
        Optional.ofNullable(file.values().get(choice.path()))
            .map(given -> (BackendKind) given.value());
    Optional<BackendKind> flagged =
        Optional.ofNullable(flags.given().get(choice.flag()))
            // An empty --backend chooses nothing, as in the reference worker: the file's block
            // or the default decides.
            .filter(texts -> !texts.getLast().isEmpty())
            .flatMap(texts -> choice.kinds().parse(choice.flag(), texts, reading));
    BackendKind kind = flagged.or(() -> inFile).orElse(choice.byDefault());
    if (inFile.isPresent() && inFile.get() != kind) {
      reading.problem(
          choice.flag()
              + " "
              + kind
              + " conflicts with the "
              + choice.path()
              + "."
              + inFile.get()
              + " block of the config file: drop the flag or configure "
              + choice.path()
              + "."
              + kind);
    }
    return block(choice.block(kind));
  }
}
