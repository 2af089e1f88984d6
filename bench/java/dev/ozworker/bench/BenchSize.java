package dev.ozworker.bench;

/**
 * How big a benchmark run is: {@code full} (the default, what figures are quoted from) or {@code
 * smoke} (the build runs every benchmark this small so none rots; its numbers mean nothing), from
 * the system property {@code bench.size}.
 */
public final class BenchSize {
  private BenchSize() {}

  public static boolean smoke() {
    return "smoke".equals(System.getProperty("bench.size", "full"));
  }

  /** {@code full} in a full run, {@code smoke} in a smoke run. */
  public static int of(int full, int smoke) {
    return smoke() ? smoke : full;
  }
}
