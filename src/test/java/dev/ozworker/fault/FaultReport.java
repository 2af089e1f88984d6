package dev.ozworker.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One scenario's line in the fault suite's summary: how many runs, how many failed, results lost,
 * results delivered twice, leaks found (containers, processes, workspaces, threads or secret
 * occurrences left behind), and a free-text detail with the scenario's own figures. Printed to
 * standard output and appended to {@code target/fault-suite/summary.txt}, so a CI log and the build
 * directory both keep it.
 */
public record FaultReport(
    String scenario, int runs, int failures, int lost, int duplicates, int leaks, String detail) {

  /** Where the suite keeps what outlives a scenario: the summary, the logs of failed ones. */
  static final Path DIR = Path.of("target", "fault-suite");

  private static final Path SUMMARY = DIR.resolve("summary.txt");

  /** Whether the scenario met its promise: nothing failed, lost, duplicated or leaked. */
  public boolean clean() {
    return failures == 0 && lost == 0 && duplicates == 0 && leaks == 0;
  }

  /** The summary line, one per scenario. */
  public String line() {
    return String.format(
        "fault-suite %-28s runs=%d failures=%d lost=%d duplicates=%d leaks=%d%s",
        scenario, runs, failures, lost, duplicates, leaks, detail.isEmpty() ? "" : "  " + detail);
  }

  /** Prints the line and appends it to the summary file; returns this report for asserting. */
  public FaultReport print() {
    String line = line();
    System.out.println(line);
    try {
      Files.createDirectories(SUMMARY.getParent());
      Files.writeString(
          SUMMARY,
          line + System.lineSeparator(),
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + SUMMARY, e);
    }
    return this;
  }
}
