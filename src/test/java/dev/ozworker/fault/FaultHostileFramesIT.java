package dev.ozworker.fault;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.api.AgentTask;
import dev.ozworker.backend.direct.DirectBackend;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.fault.FaultHostileFrames.Hostile;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import dev.ozworker.runtime.WorkerRuntime;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input, end to end: 10,000 malformed or adversarial frames over the real WebSocket to a
 * worker running the real Direct backend, with valid tasks and out-of-order messages among them.
 * The worker must stay up without leaking threads, serve the valid tasks with the right results,
 * reject what the protocol says it rejects, answer nothing else, and never hand a string from Oz to
 * a shell: a task carrying shell syntax in every string field runs, the stand-in CLI records those
 * strings verbatim as single arguments, and the files the syntax would touch never appear.
 */
class FaultHostileFramesIT {
  static final String API_KEY = "wk-fault-hostile-7e2";
  static final String WORKER = "w-fault-hostile";
  static final long SEED = Long.getLong("fault.seed", 20261126L);
  static final int FRAMES = 10_000;
  static final int VALID_EVERY = 400;
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path root;

  @Test
  void tenThousandHostileFramesLeaveTheWorkerServingAndNoShellRuns() throws Exception {
    long startedNanos = System.nanoTime();
    System.out.println("fault-suite hostile frames: seed " + SEED + " (-Dfault.seed=N to repeat)");
    Path marker = root.resolve("pwned");
    FaultHostileFrames frames = new FaultHostileFrames(SEED, marker.toString());
    Path records = Files.createDirectories(root.resolve("records"));
    try (FakeOzServer oz = FakeOzServer.start(API_KEY);
        MockApi api = MockApi.start();
        LogCapture logs = LogCapture.start();
        DirectBackend backend = DirectBackend.create(config(oz), hostEnv());
        WorkerRuntime worker =
            WorkerRuntime.start(
                api.client(),
                config(oz),
                List.of(backend),
                Clock.systemUTC(),
                false,
                FaultLoadIT.FAST)) {
      await().atMost(WAIT).until(() -> oz.isConnected(WORKER));
      FaultLink link = new FaultLink(oz, WORKER);
      Map<String, Integer> expectedExit = new TreeMap<>();

      // Warm up the pools the valid tasks below use, so that the thread count compares like with
      // like: three at once is more than the hostile phase ever runs together.
      for (int i = 0; i < 3; i++) {
        String id = "warm-" + i;
        link.send(() -> oz.assign(WORKER, valid(id, 0, records)));
        expectedExit.put(id, 0);
      }
      await().atMost(WAIT).until(() -> FaultResults.resultsFor(oz, expectedExit.keySet()) == 3);
      int threadsBefore = FaultThreads.settledThreadCount();
      Map<String, Long> groupsBefore = FaultThreads.threadGroups();

      Map<String, Integer> expectedRejections = new HashMap<>();
      Map<String, Integer> expectedFailures = new HashMap<>();
      Map<String, Integer> kinds = new TreeMap<>();
      String previousValid = null;
      for (int n = 0; n < FRAMES; n++) {
        if (n % VALID_EVERY == VALID_EVERY / 2) {
          // Valid work among the garbage, one at a time, each served before the next is sent.
          String last = previousValid;
          if (last != null) {
            await().atMost(WAIT).until(() -> !FaultResults.results(oz, last).isEmpty());
          }
          String id = "ok-" + n;
          int exit = (n / VALID_EVERY) % 4;
          link.send(() -> oz.assign(WORKER, valid(id, exit, records)));
          expectedExit.put(id, exit);
          previousValid = id;
          kinds.merge("valid", 1, Integer::sum);
          continue;
        }
        Hostile hostile = frames.next(n);
        kinds.merge(hostile.kind(), 1, Integer::sum);
        if (hostile.rejectedId() != null) {
          expectedRejections.merge(hostile.rejectedId(), 1, Integer::sum);
        }
        if (hostile.failedId() != null) {
          expectedFailures.merge(hostile.failedId(), 1, Integer::sum);
        }
        if (hostile.text() != null) {
          link.send(() -> oz.sendRaw(WORKER, hostile.text()));
        } else if (hostile.binary()) {
          link.send(() -> oz.sendBinary(WORKER, hostile.bytes()));
        } else {
          // What the worker writes just before such a connection fails may be lost in transit
          // (the reset discards it); wait until everything before has been answered, and until
          // no result waits for Oz's confirmation: a result whose connection is lost before the
          // confirmation is sent again (allowed, and counted below), which this scenario, about
          // hostile input, need not provoke.
          link.roundTrip();
          await()
              .atMost(WAIT)
              .until(() -> worker.activeTasks() == 0 && worker.unreportedResults() == 0);
          link.send(() -> oz.sendTextBytes(WORKER, hostile.bytes()));
          // A text frame that is not UTF-8 may end the connection (RFC 6455 §8.1): wait until
          // the worker answers again before sending more, so that nothing sent is lost unread.
          link.roundTrip();
        }
      }

      FaultOutOfOrder outOfOrder = new FaultOutOfOrder(oz, link, WORKER, records, root);
      outOfOrder.run(expectedExit);
      FaultShellTask shellTask = new FaultShellTask(oz, link, WORKER, records, marker);
      shellTask.send();
      expectedExit.put(shellTask.id(), 0);
      link.roundTrip();

      await()
          .atMost(WAIT)
          .until(() -> FaultResults.resultsFor(oz, expectedExit.keySet()) >= expectedExit.size());
      await().atMost(WAIT).until(() -> worker.unreportedResults() == 0);
      int threadsAfter = FaultThreads.settledThreadCount();
      Map<String, Long> threadsGrown =
          FaultThreads.grown(groupsBefore, FaultThreads.threadGroups());

      // Count what came back against what was due.
      int failures = 0;
      int lost = 0;
      DeliveryCheck delivery = DeliveryCheck.of(oz, expectedExit.keySet());
      int duplicates = delivery.violations().size();
      List<String> wrong = new ArrayList<>();
      for (var due : expectedExit.entrySet()) {
        List<Frame> results = FaultResults.results(oz, due.getKey());
        lost += results.isEmpty() ? 1 : 0;
        if (!results.isEmpty() && !FaultResults.hasExit(results.getFirst(), due.getValue())) {
          wrong.add(due.getKey() + ": " + results.getFirst().text());
        }
      }
      for (var due : expectedFailures.entrySet()) {
        List<Frame> claims = oz.framesAbout(due.getKey(), "task_claimed");
        List<Frame> failed = oz.framesAbout(due.getKey(), "task_failed");
        if (claims.size() != due.getValue()
            || failed.size() != due.getValue()
            || !failed.stream()
                .allMatch(
                    f ->
                        f.data()
                            .path("message")
                            .asText()
                            .startsWith("Failed to execute task: invalid assignment: "))) {
          wrong.add(
              "failures of "
                  + due.getKey()
                  + ": "
                  + claims.size()
                  + " claims and "
                  + failed.size()
                  + " failures of "
                  + due.getValue());
        }
      }
      for (var due : expectedRejections.entrySet()) {
        List<Frame> rejections = oz.framesAbout(due.getKey(), "task_rejected");
        if (rejections.size() != due.getValue()
            || !rejections.stream()
                .allMatch(
                    f -> f.data().path("reason").asText().startsWith("invalid assignment: "))) {
          wrong.add(
              "rejections of " + due.getKey() + ": " + rejections.size() + " of " + due.getValue());
        }
      }
      List<String> unexpected =
          oz.received().stream()
              .filter(f -> !expectedExit.containsKey(f.taskId()))
              .filter(
                  f ->
                      !(f.type().equals("task_rejected")
                          && expectedRejections.containsKey(f.taskId())))
              .filter(
                  f ->
                      !((f.type().equals("task_claimed") || f.type().equals("task_failed"))
                          && (expectedFailures.containsKey(f.taskId())
                              || link.isProbe(f.taskId()))))
              .map(Frame::text)
              .toList();
      List<String> stored =
          api
              .client()
              .resources(AgentTask.class)
              .inNamespace(worker.namespace())
              .list()
              .getItems()
              .stream()
              .map(t -> t.getSpec().getTaskId())
              .filter(id -> !expectedExit.containsKey(id))
              .toList();
      List<Path> touched = touchedMarkers(marker);
      List<String> shellProblems = shellTask.problems();
      List<String> internalErrors =
          logs.text().lines().filter(line -> line.contains("keeps serving")).toList();
      failures =
          wrong.size()
              + unexpected.size()
              + stored.size()
              + shellProblems.size()
              + internalErrors.size()
              + outOfOrder.problems().size()
              + (worker.isConnected() ? 0 : 1);
      long threadLeaks = FaultThreads.leaks(threadsGrown);
      int leaks = (int) threadLeaks + touched.size();
      FaultReport report =
          new FaultReport(
                  "hostile-frames",
                  FRAMES,
                  failures,
                  lost,
                  duplicates,
                  leaks,
                  String.format(
                      "seed=%d validTasks=%d rejectionsDue=%d failuresDue=%d redelivered=%d"
                          + " violations=%s reconnects=%d"
                          + " threadsBefore=%d threadsAfter=%d grown=%s kinds=%s seconds=%.1f",
                      SEED,
                      expectedExit.size(),
                      expectedRejections.values().stream().mapToInt(Integer::intValue).sum(),
                      expectedFailures.values().stream().mapToInt(Integer::intValue).sum(),
                      delivery.redelivered(),
                      delivery.violations(),
                      oz.connections(WORKER) - 1,
                      threadsBefore,
                      threadsAfter,
                      threadsGrown,
                      kinds,
                      (System.nanoTime() - startedNanos) / 1e9))
              .print();

      assertThat(delivery.violations())
          .as("results the delivery guarantee does not allow")
          .isEmpty();
      assertThat(wrong).as("wrong results, rejections or failures").isEmpty();
      assertThat(unexpected).as("frames the worker should not have sent").isEmpty();
      assertThat(stored).as("AgentTasks stored from invalid frames").isEmpty();
      assertThat(touched).as("files made by shell syntax from Oz").isEmpty();
      assertThat(shellProblems).isEmpty();
      assertThat(outOfOrder.problems()).isEmpty();
      assertThat(internalErrors).as("unexpected exceptions while handling frames").isEmpty();
      assertThat(threadLeaks).as("threads left behind, by group: %s", threadsGrown).isZero();
      assertThat(worker.isConnected()).isTrue();
      assertThat(report.clean()).as(report.line()).isTrue();
    }
  }

  ObjectNode valid(String id, int exit, Path records) {
    return assignment(
        id,
        Map.of(
            "STANDIN_RECORDS", records.resolve(id).toString(),
            "STANDIN_EXIT", Integer.toString(exit)));
  }

  /** Files the shell syntax would have made, anywhere under the test's directory or the cwd. */
  static List<Path> touchedMarkers(Path marker) throws Exception {
    List<Path> found = new ArrayList<>();
    for (Path dir : List.of(marker.getParent(), Path.of("").toAbsolutePath())) {
      try (Stream<Path> files = Files.walk(dir, dir.equals(marker.getParent()) ? 8 : 1)) {
        files.filter(f -> f.getFileName().toString().startsWith("pwned")).forEach(found::add);
      }
    }
    return found;
  }

  WorkerConfig config(FakeOzServer oz) throws Exception {
    Path ozCli = root.resolve("bin/oz");
    if (!Files.exists(ozCli)) {
      Files.createDirectories(ozCli.getParent());
      try (InputStream script =
          getClass().getResourceAsStream("/dev/ozworker/backend/direct/oz-standin.sh")) {
        Files.write(ozCli, script.readAllBytes());
      }
      Files.setPosixFilePermissions(ozCli, PosixFilePermissions.fromString("rwx------"));
    }
    String yaml =
        """
        worker_id: %s
        task_log_dir: %s
        cancel_grace_period: 2s
        backend:
          direct:
            workspace_root: %s
            oz_path: %s
            setup_command: echo "setting up $OZ_RUN_ID"
            teardown_command: touch "%s/teardown-ran-$OZ_RUN_ID"
        """
            .formatted(WORKER, root.resolve("logs"), root.resolve("workspaces"), ozCli, root);
    return WorkerConfigs.resolve(
        yaml, Map.of("WARP_API_KEY", API_KEY), "--web-socket-url", oz.webSocketUrl().toString());
  }

  Map<String, String> hostEnv() throws Exception {
    return Map.of(
        "HOME", Files.createDirectories(root.resolve("home")).toString(),
        "TMPDIR", root.toString(),
        "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"),
        "WARP_API_KEY", API_KEY);
  }

  static List<String> nulSeparated(Path file) throws Exception {
    return Arrays.asList(Files.readString(file, StandardCharsets.UTF_8).split("\0"));
  }
}
