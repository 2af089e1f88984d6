package dev.ozworker.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the values of one type are read from the config file and from text (a flag or an environment
 * variable), merged, shown by {@code check-config} and named in {@code --help}. Reading reports
 * problems, named by {@code where} (the key's path, the flag or the variable), and returns empty.
 */
interface ValueType<T> {
  /** The value the file gives at {@code where}. */
  Optional<T> read(String where, JsonNode node, Reading reading);

  /** The value given as text: every occurrence of a repeatable flag, else one text. */
  Optional<T> parse(String where, List<String> texts, Reading reading);

  /** The value as {@code check-config} shows it: text, a number, a boolean, a list or a map. */
  Object show(T value);

  /** The flag's parameter in {@code --help}. */
  String label();

  /**
   * What the command line rejects at once as a usage error, as it does with numbers and names; the
   * other values are checked with the rest of the configuration, so all their problems show at
   * once.
   */
  default Optional<String> commandLineProblem(String text) {
    return Optional.empty();
  }

  /** The value of a key both the file and flags give; the flags' by default. */
  default T merge(T fromFile, T fromFlags) {
    return fromFlags;
  }

  /** The value of a key given nowhere that has no default: a collection is empty. */
  default Optional<T> whenAbsent() {
    return Optional.empty();
  }

  /** Whether a flag of this type may be given more than once, each adding a value. */
  default boolean repeatable() {
    return false;
  }

  /** Whether values of this type can be given as text at all (maps and trees cannot). */
  default boolean hasText() {
    return true;
  }

  /** The worker's environment and working directory, and the problems found so far. */
  record Reading(Map<String, String> env, Path workingDirectory, List<String> problems) {
    void problem(String message) {
      problems.add(message);
    }
  }

  /** The value type of a component declared as {@code type}. */
  static ValueType<?> of(Type type, Key key) {
    if (type instanceof ParameterizedType generic) {
      Type raw = generic.getRawType();
      Type[] arguments = generic.getActualTypeArguments();
      if (raw == List.class && arguments[0] == VolumeMount.class) {
        return CollectionTypes.VOLUMES;
      }
      if (raw == List.class && arguments[0] == EnvVar.class) {
        return CollectionTypes.ENVIRONMENT;
      }
      if (raw == List.class && arguments[0] == String.class) {
        return CollectionTypes.TEXT_LIST;
      }
      if (raw == Map.class && arguments[0] == String.class && arguments[1] == String.class) {
        return CollectionTypes.TEXT_MAP;
      }
    } else if (type == String.class) {
      return Scalars.TEXT;
    } else if (type == boolean.class) {
      return Scalars.BOOLEAN;
    } else if (type == int.class) {
      return Scalars.count(key.zero(), minimum(key));
    } else if (type == long.class || type == Long.class) {
      return Scalars.longCount(key.zero(), minimum(key));
    } else if (type == Duration.class) {
      return Scalars.DURATION;
    } else if (type == DurationText.class) {
      return Scalars.DURATION_TEXT;
    } else if (type == Path.class) {
      return Scalars.PATH;
    } else if (type == URI.class) {
      return Scalars.url(List.of(key.schemes()));
    } else if (type == ApiKey.class) {
      return Scalars.API_KEY;
    } else if (type == LogLevel.class) {
      return Scalars.LOG_LEVEL;
    } else if (type == LogFormat.class) {
      return Scalars.LOG_FORMAT;
    } else if (type == ImagePullPolicy.class) {
      return Scalars.IMAGE_PULL_POLICY;
    } else if (type == JsonNode.class) {
      return CollectionTypes.TREE;
    }
    throw new IllegalStateException(
        "key " + key.value() + " has type " + type + ", which ValueType.of does not know");
  }

  /** The least whole number a key takes: 1 when it is declared {@link Check#POSITIVE}, else 0. */
  private static int minimum(Key key) {
    return Arrays.asList(key.check()).contains(Check.POSITIVE) ? 1 : 0;
  }
}
