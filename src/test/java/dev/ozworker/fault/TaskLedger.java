package dev.ozworker.fault;

import dev.ozworker.oz.fake.FakeOzServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What became of each task of a fault scenario, counted from the outside: result frames at the fake
 * Oz server and agent starts recorded by the stand-in (one line per start in {@code <task>-starts}
 * or {@code <task>/starts} under the records directory).
 */
final class TaskLedger {
  private final FakeOzServer oz;
  private final Path records;

  TaskLedger(FakeOzServer oz, Path records) {
    this.oz = oz;
    this.records = records;
  }

  /** The result frames (task_completed or task_failed) Oz received about the task. */
  List<FakeOzServer.Frame> results(String taskId) {
    return Stream.concat(
            oz.framesAbout(taskId, "task_completed").stream(),
            oz.framesAbout(taskId, "task_failed").stream())
        .toList();
  }

  /** How many times the agent of the task started. */
  int starts(String taskId) {
    for (Path file :
        List.of(records.resolve(taskId + "-starts"), records.resolve(taskId).resolve("starts"))) {
      if (Files.exists(file)) {
        try {
          return (int) Files.readAllLines(file).stream().filter(l -> !l.isBlank()).count();
        } catch (IOException e) {
          throw new IllegalStateException("cannot read " + file, e);
        }
      }
    }
    return 0;
  }

  /** One entry per outcome: {@code completed}, or {@code failed:<reason>}, with its count. */
  Map<String, Integer> outcomes(List<String> taskIds) {
    Map<String, Integer> outcomes = new TreeMap<>();
    for (String taskId : taskIds) {
      results(taskId).stream()
          .map(
              frame ->
                  frame.type().equals("task_completed")
                      ? "completed"
                      : "failed:" + frame.data().path("failure_reason").asText("none"))
          .distinct()
          .forEach(outcome -> outcomes.merge(outcome, 1, Integer::sum));
    }
    return outcomes;
  }

  int lost(List<String> taskIds) {
    return (int) taskIds.stream().filter(id -> results(id).isEmpty()).count();
  }

  /**
   * Copies of a result the delivery guarantee does not allow (a conflicting result, or a copy with
   * no lost connection or new assignment before it: {@link DeliveryCheck}), plus agents started
   * more than once: work done twice or contradicted.
   */
  int duplicates(List<String> taskIds) {
    int duplicates = DeliveryCheck.of(oz, taskIds).violations().size();
    for (String taskId : taskIds) {
      duplicates += Math.max(0, starts(taskId) - 1);
    }
    return duplicates;
  }

  /** The tasks whose agent started more than once, each with its count of starts. */
  Map<String, Integer> startedMoreThanOnce(List<String> taskIds) {
    Map<String, Integer> twice = new TreeMap<>();
    for (String taskId : taskIds) {
      int starts = starts(taskId);
      if (starts > 1) {
        twice.put(taskId, starts);
      }
    }
    return twice;
  }

  /** What breaks the delivery guarantee, named, for the report. */
  List<String> violations(List<String> taskIds) {
    return DeliveryCheck.of(oz, taskIds).violations();
  }

  /**
   * Copies the guarantee allows: the same result sent again after the connection that carried it
   * was lost before the worker recorded Oz's confirmation (say, killed between writing the frame
   * and recording {@code status.reported}). Counted and printed, not hidden.
   */
  int resent(List<String> taskIds) {
    return DeliveryCheck.of(oz, taskIds).redelivered();
  }
}
