package dev.ozworker.fault;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.controller.ScriptedBackend;
import dev.ozworker.observe.WorkerMetrics;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.TaskRejected;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import dev.ozworker.runtime.WorkerRuntime;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Load: 500 assignments at once on a worker with {@code max_concurrent_tasks: 50} and a backend
 * whose runs cost nothing but last until the test ends them. The fake Oz server behaves as Oz does
 * with a rejected task (docs/protocol.md, "Messages": Oz keeps it queued and offers it again): it
 * offers every rejected task again once running ones have finished, until each has run. The worker
 * must never run or hold more than 50, reject the rest with the reference reason while storing
 * nothing for them, claim and report each task exactly once, and leave nothing behind: no run still
 * live in the backend, no slot held, no task without its teardown. What the load does to the heap
 * is a figure of {@code LoadHeapBench} in {@code bench/}.
 */
class FaultLoadIT {
  static final String API_KEY = "wk-fault-load-51c";
  static final String WORKER = "w-fault-load";
  static final int TASKS = 500;
  static final int LIMIT = 50;
  static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void fiveHundredAssignmentsAtOnceRunFiftyAtATimeAndEachIsReportedOnce() throws Exception {
    long startedNanos = System.nanoTime();
    try (FakeOzServer oz = FakeOzServer.start(API_KEY);
        MockApi api = MockApi.start();
        ScriptedBackend backend = new ScriptedBackend()) {
      // At every reply, how many tasks were claimed and had no result yet: never above the limit.
      AtomicInteger claimedUnfinished = new AtomicInteger();
      AtomicInteger mostClaimedUnfinished = new AtomicInteger();
      Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();
      oz.onFrame(
          frame -> {
            switch (frame.type()) {
              case "task_claimed" -> {
                claims.computeIfAbsent(frame.taskId(), id -> new AtomicInteger()).incrementAndGet();
                mostClaimedUnfinished.accumulateAndGet(
                    claimedUnfinished.incrementAndGet(), Math::max);
              }
              case "task_completed", "task_failed" -> claimedUnfinished.decrementAndGet();
              default -> {}
            }
          });
      WorkerConfig config =
          WorkerConfigs.resolve(
              "worker_id: " + WORKER + "\nmax_concurrent_tasks: " + LIMIT,
              Map.of("WARP_API_KEY", API_KEY),
              "--backend",
              "direct",
              "--web-socket-url",
              oz.webSocketUrl().toString());
      try (WorkerRuntime worker =
          WorkerRuntime.start(
              api.client(), config, List.of(backend), Clock.systemUTC(), false, FAST)) {
        await().atMost(WAIT).until(() -> oz.isConnected(WORKER));

        List<String> ids =
            IntStream.range(0, TASKS).mapToObj(i -> String.format("load-%03d", i)).toList();
        List<String> queued = new ArrayList<>(ids);
        List<Integer> claimedPerRound = new ArrayList<>();
        int offers = 0;
        int rejections = 0;
        while (!queued.isEmpty()) {
          int repliesBefore = replies(oz).size();
          for (String id : queued) {
            oz.assign(WORKER, assignment(id));
          }
          offers += queued.size();
          int expectedReplies = repliesBefore + queued.size();
          await().atMost(WAIT).until(() -> replies(oz).size() >= expectedReplies);
          List<Frame> round = replies(oz).subList(repliesBefore, expectedReplies);

          List<String> claimed =
              round.stream()
                  .filter(f -> f.type().equals("task_claimed"))
                  .map(Frame::taskId)
                  .toList();
          List<Frame> rejected =
              round.stream().filter(f -> f.type().equals("task_rejected")).toList();
          assertThat(claimed.size() + rejected.size()).isEqualTo(queued.size());
          assertThat(rejected)
              .extracting(f -> f.data().path("reason").asText())
              .allMatch(TaskRejected.AT_CAPACITY::equals);
          // Every slot was free when the round was offered, so exactly the free slots are taken.
          assertThat(claimed).hasSize(Math.min(LIMIT, queued.size()));
          Set<String> secrets =
              api.client().secrets().inNamespace(worker.namespace()).list().getItems().stream()
                  .map(secret -> secret.getMetadata().getName())
                  .collect(Collectors.toSet());
          assertThat(rejected)
              .as("nothing is stored for a rejected task")
              .noneMatch(reject -> secrets.contains(reject.taskId() + "-env"));
          claimedPerRound.add(claimed.size());
          rejections += rejected.size();

          await().atMost(WAIT).until(() -> claimed.stream().allMatch(backend::isLive));
          claimed.forEach(id -> backend.finish(id, new TaskOutcome.Succeeded("")));
          await()
              .atMost(WAIT)
              .until(
                  () ->
                      claimed.stream()
                          .allMatch(id -> !oz.framesAbout(id, "task_completed").isEmpty()));
          // Oz offers the queue again once the worker has room; its slots are free when its tasks
          // are finished and torn down.
          await().atMost(WAIT).until(() -> worker.activeTasks() == 0);
          queued.removeAll(claimed);
        }
        await().atMost(WAIT).until(() -> worker.unreportedResults() == 0);
        // What the load left behind, looked for now that every result is delivered.
        List<String> liveRuns = ids.stream().filter(backend::isLive).toList();
        int slotsHeld = worker.activeTasks();
        List<String> notTornDown =
            api
                .client()
                .resources(AgentTask.class)
                .inNamespace(worker.namespace())
                .list()
                .getItems()
                .stream()
                .filter(
                    task ->
                        task.getStatus() == null
                            || task.getStatus().getConditions().stream()
                                .noneMatch(condition -> condition.getType().equals("TornDown")))
                .map(task -> task.getMetadata().getName())
                .toList();
        int leaks = liveRuns.size() + slotsHeld + notTornDown.size();

        int lost = 0;
        int duplicates = 0;
        Set<String> twiceClaimed = new TreeSet<>();
        for (String id : ids) {
          int results =
              oz.framesAbout(id, "task_completed").size()
                  + oz.framesAbout(id, "task_failed").size();
          lost += results == 0 ? 1 : 0;
          duplicates += Math.max(0, results - 1);
          if (claims.getOrDefault(id, new AtomicInteger()).get() != 1) {
            twiceClaimed.add(id);
          }
        }
        int overLimit = Math.max(0, backend.mostRunningAtOnce() - LIMIT);
        FaultReport report =
            new FaultReport(
                    "load-500-at-limit-50",
                    TASKS,
                    twiceClaimed.size() + overLimit,
                    lost,
                    duplicates,
                    leaks,
                    String.format(
                        "offers=%d rejections=%d claimsPerRound=%s mostRunning=%d"
                            + " mostClaimedUnreported=%d liveRuns=%d slotsHeld=%d notTornDown=%d"
                            + " seconds=%.1f",
                        offers,
                        rejections,
                        claimedPerRound,
                        backend.mostRunningAtOnce(),
                        mostClaimedUnfinished.get(),
                        liveRuns.size(),
                        slotsHeld,
                        notTornDown.size(),
                        (System.nanoTime() - startedNanos) / 1e9))
                .print();

        assertThat(claimedPerRound.getFirst()).isEqualTo(LIMIT);
        assertThat(rejections).as("rejections").isEqualTo(offers - TASKS);
        assertThat(backend.mostRunningAtOnce()).isLessThanOrEqualTo(LIMIT);
        assertThat(mostClaimedUnfinished.get()).isLessThanOrEqualTo(LIMIT);
        assertThat(twiceClaimed).as("tasks not claimed exactly once").isEmpty();
        assertThat(backend.count("start")).as("runs started").isEqualTo(TASKS);
        assertThat(liveRuns).as("runs still live in the backend").isEmpty();
        assertThat(slotsHeld).as("slots still held").isZero();
        assertThat(notTornDown).as("tasks without their teardown").isEmpty();
        assertThat(rejectedAtCapacity(worker)).as("at_capacity metric").isEqualTo(rejections);
        assertThat(report.clean()).as(report.line()).isTrue();
      }
    }
  }

  /** Claims and rejections, in arrival order. */
  static List<Frame> replies(FakeOzServer oz) {
    return oz.received().stream()
        .filter(f -> f.type().equals("task_claimed") || f.type().equals("task_rejected"))
        .toList();
  }

  static double rejectedAtCapacity(WorkerRuntime worker) {
    for (MetricSnapshot snapshot : worker.metrics().registry().scrape()) {
      if (snapshot instanceof CounterSnapshot counter
          && counter.getMetadata().getName().equals("oz_worker_tasks_rejected")) {
        for (var point : counter.getDataPoints()) {
          if (WorkerMetrics.AT_CAPACITY.equals(point.getLabels().get("reason"))) {
            return point.getValue();
          }
        }
      }
    }
    return 0;
  }

  static final LinkTimings FAST =
      new LinkTimings(
          Duration.ofMillis(500),
          Duration.ofSeconds(5),
          Duration.ofSeconds(2),
          Duration.ofSeconds(2),
          Duration.ofMillis(50),
          Duration.ofMillis(200),
          Duration.ofMillis(100),
          Duration.ofSeconds(5),
          Duration.ofMillis(200));
}
