package dev.ozworker.bench;

/**
 * One benchmark figure: what ours measured, the floor measured in the same run (what the same work
 * costs without the worker), the Go reference worker's figure where it applies, and the target.
 *
 * @param name short identifier, e.g. {@code claim_latency_embedded}
 * @param unit {@code ms}, {@code tasks/s}, {@code MiB} or {@code threads}
 * @param ours our worker's samples
 * @param floor the floor's samples, or null when the figure has none
 * @param floorNote what the floor is
 * @param reference the reference worker's samples, or null
 * @param target the target, or null
 */
public record Figure(
    String name,
    String unit,
    Stats ours,
    Stats floor,
    String floorNote,
    Stats reference,
    Target target) {

  public static Figure of(String name, String unit, Stats ours) {
    return new Figure(name, unit, ours, null, null, null, null);
  }

  public Figure withFloor(Stats floorStats, String note) {
    return new Figure(name, unit, ours, floorStats, note, reference, target);
  }

  public Figure withReference(Stats referenceStats) {
    return new Figure(name, unit, ours, floor, floorNote, referenceStats, target);
  }

  public Figure withTarget(Target goal) {
    return new Figure(name, unit, ours, floor, floorNote, reference, goal);
  }

  /** Our median over the floor's, or NaN without a floor. */
  public double ratioToFloor() {
    return floor == null || floor.median() == 0 ? Double.NaN : ours.median() / floor.median();
  }

  /** Our median over the reference's, or NaN without one. */
  public double ratioToReference() {
    return reference == null || reference.median() == 0
        ? Double.NaN
        : ours.median() / reference.median();
  }

  /** Whether the target is met; null without a target. */
  public Boolean met() {
    return target == null ? null : target.metBy(ours, floor, reference);
  }
}
