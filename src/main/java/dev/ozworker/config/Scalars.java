package dev.ozworker.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/** The single-valued types of configuration keys. */
final class Scalars {
  private Scalars() {}

  static final ValueType<String> TEXT =
      scalar("TEXT", (where, text, reading) -> Optional.of(text), text -> text);

  static final ValueType<Boolean> BOOLEAN =
      new Scalar<>(
          "",
          (where, text, reading) ->
              switch (text) {
                case "true" -> Optional.of(true);
                case "false" -> Optional.of(false);
                default -> problem(reading, where + " must be true or false, got \"" + text + "\"");
              },
          (where, node, reading) ->
              node.isBoolean()
                  ? Optional.of(node.booleanValue())
                  : problem(reading, where + " must be true or false, got " + node),
          value -> value,
          text -> Optional.empty());

  static final ValueType<Duration> DURATION =
      scalar(
          "DURATION",
          (where, text, reading) ->
              GoDuration.parse(text)
                  .or(
                      () ->
                          problem(
                              reading,
                              where
                                  + " \""
                                  + text
                                  + "\" is not a duration: write a number with a unit, e.g."
                                  + " 90s, 45m or 1h30m")),
          GoDuration::format);

  /** A duration passed on as written (see {@link DurationText}). */
  static final ValueType<DurationText> DURATION_TEXT =
      scalar(
          "DURATION",
          (where, text, reading) ->
              DURATION.parse(where, List.of(text), reading).map(d -> new DurationText(text, d)),
          DurationText::text);

  /**
   * A path: absolute in the file, which has no directory of its own; on the command line relative
   * to the working directory, as a shell user expects.
   */
  static final ValueType<Path> PATH =
      new Scalar<>(
          "PATH",
          (where, text, reading) ->
              Optional.of(reading.workingDirectory().resolve(text).normalize()),
          fromScalar(
              (where, text, reading) ->
                  text.startsWith("/")
                      ? Optional.of(Path.of(text).normalize())
                      : problem(
                          reading,
                          where + " \"" + text + "\" must be an absolute path (start with /)")),
          Path::toString,
          text -> Optional.empty());

  /** The API key: shown only as set, never its value. */
  static final ValueType<ApiKey> API_KEY =
      scalar(
          "KEY", (where, text, reading) -> Optional.of(new ApiKey(text)), key -> "(set, hidden)");

  static final ValueType<LogLevel> LOG_LEVEL =
      named(
          LogLevel.values(),
          LogLevel::name,
          (value, names) -> value + " is not a log level: use one of " + String.join(", ", names));

  static final ValueType<LogFormat> LOG_FORMAT =
      named(
          LogFormat.values(),
          LogFormat::name,
          (value, names) -> "must be " + or(names) + ", got " + value);

  static final ValueType<ImagePullPolicy> IMAGE_PULL_POLICY =
      named(
          ImagePullPolicy.values(),
          ImagePullPolicy::name,
          (value, names) -> value + " is not a pull policy: use " + or(names));

  static final ValueType<BackendKind> BACKEND_KIND =
      named(
          BackendKind.values(),
          BackendKind::configName,
          (value, names) -> value + " is not a backend: use " + or(names));

  /**
   * A whole number of {@code minimum} (0 or 1) or more, an {@code int}; {@code zero} says what zero
   * means.
   */
  static ValueType<Integer> count(String zero, int minimum) {
    return wholeNumber(
        zero, minimum, Integer::valueOf, JsonNode::canConvertToInt, JsonNode::intValue);
  }

  /** As {@link #count}, a {@code long}, such as the seconds of a Kubernetes deadline. */
  static ValueType<Long> longCount(String zero, int minimum) {
    return wholeNumber(
        zero, minimum, Long::valueOf, JsonNode::canConvertToLong, JsonNode::longValue);
  }

  private static <N extends Number> ValueType<N> wholeNumber(
      String zero,
      int minimum,
      Function<String, N> fromText,
      Predicate<JsonNode> fits,
      Function<JsonNode, N> fromNode) {
    String meaning = zero.isEmpty() || minimum > 0 ? "" : " (0 = " + zero + ")";
    Function<String, Optional<N>> number =
        text -> {
          try {
            return Optional.of(fromText.apply(text));
          } catch (NumberFormatException e) {
            return Optional.empty();
          }
        };
    return new Scalar<>(
        "N",
        (where, text, reading) -> {
          Optional<N> given = number.apply(text);
          if (given.isEmpty()) {
            return problem(reading, where + " \"" + text + "\" is not a whole number");
          }
          return given.get().longValue() < minimum
              ? problem(
                  reading,
                  where + " must be " + minimum + " or more" + meaning + ", got " + given.get())
              : given;
        },
        (where, node, reading) ->
            node.isIntegralNumber() && fits.test(node) && node.longValue() >= minimum
                ? Optional.of(fromNode.apply(node))
                : problem(
                    reading,
                    where
                        + " must be a whole number of "
                        + minimum
                        + " or more"
                        + meaning
                        + ", got "
                        + node),
        value -> value,
        text ->
            number.apply(text).isPresent()
                ? Optional.empty()
                : Optional.of("'" + text + "' is not a whole number"));
  }

  /** An absolute URL with one of {@code schemes}. */
  static ValueType<URI> url(List<String> schemes) {
    String accepted = String.join(" or ", schemes.stream().sorted().toList());
    return scalar(
        "URL",
        (where, text, reading) -> {
          try {
            URI uri = new URI(text);
            if (uri.getScheme() != null
                && schemes.contains(uri.getScheme())
                && uri.getHost() != null) {
              return Optional.of(uri);
            }
          } catch (URISyntaxException e) {
            // reported below, with the accepted schemes
          }
          return problem(
              reading,
              where
                  + " \""
                  + PrintableUrl.strip(text)
                  + "\" is not an absolute URL with scheme "
                  + accepted);
        },
        PrintableUrl::of);
  }

  /** One of {@code values}, spelled by {@code spelling}; {@code mustBe} words the problem. */
  private static <E> ValueType<E> named(
      E[] values, Function<E, String> spelling, BiFunction<String, List<String>, String> mustBe) {
    List<String> names = Arrays.stream(values).map(spelling).toList();
    Function<String, Optional<E>> lookup =
        text ->
            Arrays.stream(values).filter(value -> spelling.apply(value).equals(text)).findFirst();
    return new Scalar<>(
        String.join("|", names),
        (where, text, reading) ->
            lookup
                .apply(text)
                .or(() -> problem(reading, where + " " + mustBe.apply("\"" + text + "\"", names))),
        fromScalar(
            (where, text, reading) ->
                lookup
                    .apply(text)
                    .or(
                        () ->
                            problem(
                                reading, where + " " + mustBe.apply("\"" + text + "\"", names)))),
        spelling::apply,
        text ->
            lookup.apply(text).isPresent()
                ? Optional.empty()
                : Optional.of(mustBe.apply("'" + text + "'", names)));
  }

  static String or(List<String> words) {
    return words.size() < 2
        ? String.join("", words)
        : String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.getLast();
  }

  static <T> Optional<T> problem(ValueType.Reading reading, String message) {
    reading.problem(message);
    return Optional.empty();
  }

  private static <T> Scalar<T> scalar(String label, TextReader<T> text, Function<T, Object> shown) {
    return new Scalar<>(label, text, fromScalar(text), shown, given -> Optional.empty());
  }

  /** Reads a scalar of the file as text. */
  private static <T> NodeReader<T> fromScalar(TextReader<T> text) {
    return (where, node, reading) ->
        node.isValueNode()
            ? text.read(where, node.asText().trim(), reading)
            : problem(reading, where + " must be a single value, got " + node);
  }

  /** Reads a value from text. */
  interface TextReader<T> {
    Optional<T> read(String where, String text, ValueType.Reading reading);
  }

  /** Reads a value from the file. */
  interface NodeReader<T> {
    Optional<T> read(String where, JsonNode node, ValueType.Reading reading);
  }

  /** A single value: one text (the last, when a flag is given twice) or one node of the file. */
  record Scalar<T>(
      String label,
      TextReader<T> text,
      NodeReader<T> node,
      Function<T, Object> shown,
      Function<String, Optional<String>> commandLine)
      implements ValueType<T> {
    @Override
    public Optional<T> read(String where, JsonNode value, Reading reading) {
      return node.read(where, value, reading);
    }

    @Override
    public Optional<T> parse(String where, List<String> texts, Reading reading) {
      return text.read(where, texts.getLast().trim(), reading);
    }

    @Override
    public Object show(T value) {
      return shown.apply(value);
    }

    @Override
    public Optional<String> commandLineProblem(String given) {
      return commandLine.apply(given);
    }
  }
}
