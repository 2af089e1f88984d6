package dev.ozworker.fault;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.awaitility.Awaitility.await;

import dev.ozworker.oz.fake.FakeOzServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Messages in an order Oz should not send them, each of which the worker must survive with one
 * right result per task: a cancellation before its assignment (an unknown id: ignored,
 * docs/protocol.md, "Cancellation"), an assignment sent twice, a cancellation sent twice, a
 * cancellation after the result, and a cancellation of a task that never existed.
 */
final class FaultOutOfOrder {
  /** The exit code that stands for "reported as cancelled by the user". */
  static final int CANCELLED = -1;

  private static final Duration WAIT = Duration.ofSeconds(60);

  private final FakeOzServer oz;
  private final FaultLink link;
  private final String workerId;
  private final Path records;
  private final Path root;
  private final List<String> problems = new ArrayList<>();

  FaultOutOfOrder(FakeOzServer oz, FaultLink link, String workerId, Path records, Path root) {
    this.oz = oz;
    this.link = link;
    this.workerId = workerId;
    this.records = records;
    this.root = root;
  }

  /** Sends every sequence and adds the result each task is due to {@code expectedExit}. */
  void run(Map<String, Integer> expectedExit) {
    link.send(() -> oz.cancel(workerId, "ooo-early"));
    link.send(() -> oz.assign(workerId, task("ooo-early", Map.of())));
    expectedExit.put("ooo-early", 0);

    link.send(() -> oz.assign(workerId, task("ooo-twice", Map.of())));
    link.send(() -> oz.assign(workerId, task("ooo-twice", Map.of())));
    expectedExit.put("ooo-twice", 0);

    link.send(
        () ->
            oz.assign(
                workerId,
                task("ooo-cancel", Map.of("STANDIN_WAIT_FOR", root.resolve("never").toString()))));
    expectedExit.put("ooo-cancel", CANCELLED);
    await().atMost(WAIT).until(() -> Files.exists(records.resolve("ooo-cancel/argv")));
    link.send(() -> oz.cancel(workerId, "ooo-cancel"));
    link.send(() -> oz.cancel(workerId, "ooo-cancel"));

    link.send(() -> oz.cancel(workerId, "ooo-never-assigned"));
    await().atMost(WAIT).until(() -> !FaultResults.results(oz, "ooo-early").isEmpty());
    link.send(() -> oz.cancel(workerId, "ooo-early"));
    await().atMost(WAIT).until(() -> !FaultResults.results(oz, "ooo-twice").isEmpty());
    link.roundTrip();

    int twiceClaims = oz.framesAbout("ooo-twice", "task_claimed").size();
    if (twiceClaims != 2) {
      problems.add("ooo-twice: assigned twice, claimed " + twiceClaims + " times, not 2");
    }
    int earlyClaims = oz.framesAbout("ooo-early", "task_claimed").size();
    if (earlyClaims != 1) {
      problems.add("ooo-early: claimed " + earlyClaims + " times, not once");
    }
  }

  List<String> problems() {
    return List.copyOf(problems);
  }

  private com.fasterxml.jackson.databind.node.ObjectNode task(
      String id, Map<String, String> extra) {
    Map<String, String> env = new java.util.HashMap<>(extra);
    env.put("STANDIN_RECORDS", records.resolve(id).toString());
    return assignment(id, env);
  }
}
