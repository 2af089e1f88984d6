package dev.ozworker.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written as the reference writes them ({@code 45m}, {@code 1h30m}, {@code 1.5s}, {@code
 * 0}): a sequence of decimal numbers, each with a unit among ns, us (µs), ms, s, m, h.
 */
public final class GoDuration {
  private static final Pattern PART =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");
  private static final Map<String, Long> NANOS_PER_UNIT =
      Map.of(
          "ns", 1L,
          "us", 1_000L,
          "µs", 1_000L,
          "μs", 1_000L,
          "ms", 1_000_000L,
          "s", 1_000_000_000L,
          "m", 60_000_000_000L,
          "h", 3_600_000_000_000L);
  private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);

  private GoDuration() {}

  /** The duration {@code text} denotes, or empty when it is not a non-negative Go duration. */
  public static Optional<Duration> parse(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    if (text.equals("0")) {
      return Optional.of(Duration.ZERO);
    }
    Matcher part = PART.matcher(text);
    BigDecimal nanos = BigDecimal.ZERO;
    int end = 0;
    while (part.lookingAt()) {
      BigDecimal amount = new BigDecimal(part.group(1));
      nanos = nanos.add(amount.multiply(BigDecimal.valueOf(NANOS_PER_UNIT.get(part.group(2)))));
      end = part.end();
      part.region(end, text.length());
    }
    if (end != text.length() || nanos.compareTo(MAX_NANOS) > 0) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofNanos(nanos.longValue()));
  }

  /** The shortest Go spelling of {@code duration}, e.g. {@code 1h30m}, {@code 90ms}, {@code 0s}. */
  public static String format(Duration duration) {
    if (duration.isZero()) {
      return "0s";
    }
    StringBuilder text = new StringBuilder();
    append(text, duration.toHours(), "h");
    append(text, duration.toMinutesPart(), "m");
    append(text, duration.toSecondsPart(), "s");
    append(text, duration.toMillisPart(), "ms");
    long subMillis = duration.toNanosPart() % 1_000_000;
    append(text, subMillis / 1_000, "us");
    append(text, subMillis % 1_000, "ns");
    return text.toString();
  }

  private static void append(StringBuilder text, long amount, String unit) {
    if (amount != 0) {
      text.append(amount).append(unit);
    }
  }
}
