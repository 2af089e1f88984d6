package dev.ozworker.bench;

import java.util.Arrays;

/** Minimum, median and 99th percentile of repeated measurements of one figure, in its unit. */
public record Stats(int samples, double min, double median, double p99, double max) {

  /** The statistics of {@code values} (at least one). */
  public static Stats of(double... values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return new Stats(
        sorted.length,
        sorted[0],
        percentile(sorted, 50),
        percentile(sorted, 99),
        sorted[sorted.length - 1]);
  }

  /** Durations in nanoseconds as milliseconds. */
  public static Stats millis(long[] nanos) {
    return of(Arrays.stream(nanos).mapToDouble(n -> n / 1e6).toArray());
  }

  /** The named statistic: {@code min}, {@code median}, {@code p99} or {@code max}. */
  public double get(String statistic) {
    return switch (statistic) {
      case "min" -> min;
      case "median" -> median;
      case "p99" -> p99;
      case "max" -> max;
      default -> throw new IllegalArgumentException("no statistic " + statistic);
    };
  }

  // Nearest rank, so every reported figure is one that was measured.
  private static double percentile(double[] sorted, int percent) {
    int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
