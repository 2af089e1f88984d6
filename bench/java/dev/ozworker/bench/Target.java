package dev.ozworker.bench;

/**
 * A figure's target from the benchmark issue: a statistic of the figure compared with a limit that
 * is absolute, or relative to the floor or to the reference worker measured in the same run.
 *
 * @param statistic which statistic of the figure is judged ({@code median}, {@code p99}, …)
 * @param relation {@code <=} or {@code >=}
 * @param limit the absolute limit, the milliseconds above the floor, or the factor of the floor or
 *     of the reference
 * @param base {@code absolute}, {@code floor+}, {@code floor×} or {@code reference×}
 */
public record Target(String statistic, String relation, double limit, String base) {

  public static Target atMost(String statistic, double limit) {
    return new Target(statistic, "<=", limit, "absolute");
  }

  public static Target atLeast(String statistic, double limit) {
    return new Target(statistic, ">=", limit, "absolute");
  }

  /** The figure's median at most the floor's median plus {@code margin}. */
  public static Target floorPlus(double margin) {
    return new Target("median", "<=", margin, "floor+");
  }

  /** The figure's median at most {@code factor} times the floor's median. */
  public static Target floorTimes(double factor) {
    return new Target("median", "<=", factor, "floor×");
  }

  /**
   * The figure's median at least {@code factor} times the reference worker's median, measured in
   * the same run (on a shared machine an absolute rate says little).
   */
  public static Target referenceTimes(double factor) {
    return new Target("median", ">=", factor, "reference×");
  }

  /**
   * Whether {@code figure} meets this target; false when it needs a floor or a reference the figure
   * lacks.
   */
  public boolean metBy(Stats figure, Stats floor, Stats reference) {
    double bound =
        switch (base) {
          case "absolute" -> limit;
          case "floor+" -> floor == null ? Double.NaN : floor.median() + limit;
          case "floor×" -> floor == null ? Double.NaN : floor.median() * limit;
          case "reference×" -> reference == null ? Double.NaN : reference.median() * limit;
          default -> throw new IllegalStateException("no base " + base);
        };
    double value = figure.get(statistic);
    return relation.equals("<=") ? value <= bound : value >= bound;
  }

  /** How the table shows it, e.g. {@code p99 <= 50} or {@code median <= floor + 30}. */
  public String text() {
    String limitText =
        limit == Math.rint(limit) ? String.valueOf((long) limit) : String.valueOf(limit);
    return switch (base) {
      case "floor+" -> statistic + " " + relation + " floor+" + limitText;
      case "floor×" -> statistic + " " + relation + " " + limitText + "×floor";
      case "reference×" -> statistic + " " + relation + " " + limitText + "×reference";
      default -> statistic + " " + relation + " " + limitText;
    };
  }
}
