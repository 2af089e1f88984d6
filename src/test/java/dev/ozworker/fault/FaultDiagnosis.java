package dev.ozworker.fault;

import dev.ozworker.api.AgentTask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/** What a scenario that did not settle tells about itself: its tasks' state, its worker's log. */
final class FaultDiagnosis {
  private FaultDiagnosis() {}

  /** A task that has not settled: its phase, whether it was reported and torn down, its results. */
  static String describe(String taskId, AgentTask task, int resultsAtOz) {
    if (task == null || task.getStatus() == null) {
      return taskId + (task == null ? " (no AgentTask)" : " (no status)");
    }
    return "%s (phase %s, reported %s, torn down %s, results at Oz %d, message %s)"
        .formatted(
            taskId,
            task.getStatus().getPhase(),
            task.getStatus().getReported(),
            KillCampaign.tornDown(task),
            resultsAtOz,
            task.getStatus().getMessage());
  }

  /**
   * Copies the worker's log out of the scenario's temporary folder, which JUnit deletes, as {@code
   * target/fault-suite/<name>-worker.log}, and prints its end, so that a CI log shows why.
   */
  static Path keepLog(FaultWorker worker, String name) {
    Path kept = FaultReport.DIR.resolve(name + "-worker.log");
    try {
      Files.createDirectories(kept.getParent());
      Files.copy(worker.log(), kept, StandardCopyOption.REPLACE_EXISTING);
      List<String> lines = Files.readAllLines(kept);
      System.err.printf(
          "--- %s: the last lines of the worker's log ---%n%s%n",
          name, String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())));
      return kept.toAbsolutePath();
    } catch (IOException e) {
      return worker.log();
    }
  }

  /** Prints every line of every generation's log that names one of the tasks, by generation. */
  static void printLinesAbout(FaultWorker worker, Collection<String> taskIds) {
    for (Path log : worker.logs()) {
      try (Stream<String> lines = Files.lines(log)) {
        List<String> about =
            lines.filter(line -> taskIds.stream().anyMatch(line::contains)).toList();
        if (!about.isEmpty()) {
          System.err.printf(
              "--- %s, lines about %s ---%n%s%n",
              log.getFileName(), taskIds, String.join("\n", about));
        }
      } catch (IOException | UncheckedIOException e) {
        System.err.printf("--- %s cannot be read: %s%n", log, e);
      }
    }
  }
}
