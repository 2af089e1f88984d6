package dev.ozworker.bench;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.controller.MockApi;
import dev.ozworker.controller.ScriptedBackend;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The heap a load leaves behind: the worker's heap after collection, connected and idle, then again
 * after ten times its capacity in assignments ({@code max_concurrent_tasks} 50, 500 assignments at
 * full size) was offered at once, the rejected ones offered again as Oz offers them once running
 * ones finish, until each task has run and its result was delivered. Runs cost nothing and last
 * until the benchmark ends them, so each round claims exactly the free slots. The worker, the
 * embedded API server and the fake Oz server share this JVM: the growth is theirs together. The
 * fault suite's load scenario ({@code FaultLoadIT}) checks the behaviour under the same load.
 */
class LoadHeapBench {
  static final int TASKS = BenchSize.of(500, 40);
  static final int LIMIT = BenchSize.of(50, 10);
  static final String WORKER = "bench-load";
  static final Duration WAIT = Duration.ofSeconds(120);

  @Test
  void heapGrowthOverALoadTenTimesTheWorkersCapacity() throws Exception {
    try (FakeOzServer oz = FakeOzServer.start(OurWorker.API_KEY);
        MockApi api = MockApi.startUnchecked();
        ScriptedBackend backend = new ScriptedBackend()) {
      long before;
      long after;
      int offers = 0;
      int rounds = 0;
      List<String> ids =
          IntStream.range(0, TASKS).mapToObj(i -> String.format("load-%03d", i)).toList();
      try (OurWorker worker =
          OurWorker.start(
              api.client(),
              false,
              oz,
              WORKER,
              "max_concurrent_tasks: " + LIMIT + "\nbackend:\n  direct: {}\n",
              backend)) {
        before = heapAfterGc();
        List<String> queued = new ArrayList<>(ids);
        while (!queued.isEmpty()) {
          int repliesBefore = replies(oz).size();
          queued.forEach(id -> oz.assign(WORKER, assignment(id)));
          offers += queued.size();
          int expected = repliesBefore + queued.size();
          await().atMost(WAIT).until(() -> replies(oz).size() >= expected);
          List<String> claimed =
              replies(oz).subList(repliesBefore, expected).stream()
                  .filter(frame -> frame.type().equals("task_claimed"))
                  .map(Frame::taskId)
                  .toList();
          assertThat(claimed).as("tasks claimed in round %d", rounds).isNotEmpty();
          await().atMost(WAIT).until(() -> claimed.stream().allMatch(backend::isLive));
          claimed.forEach(id -> backend.finish(id, new TaskOutcome.Succeeded("")));
          await().atMost(WAIT).until(() -> worker.runtime().activeTasks() == 0);
          queued.removeAll(claimed);
          rounds++;
        }
        await().atMost(WAIT).until(() -> worker.runtime().unreportedResults() == 0);
        after = heapAfterGc();
      }
      assertThat(ids)
          .as("every task reported once")
          .allSatisfy(id -> assertThat(oz.framesAbout(id, "task_completed")).hasSize(1));
      new BenchReport("load-heap")
          .figure(
              Figure.of(
                      "heap_growth_load_" + TASKS + "_at_" + LIMIT,
                      "MiB",
                      Stats.of((after - before) / 1048576.0))
                  .withTarget(Target.atMost("median", 128)))
          .fact("tasks", TASKS)
          .fact("max_concurrent_tasks", LIMIT)
          .fact("offers", offers)
          .fact("rounds", rounds)
          .fact("heap_before_mib", before / 1048576.0)
          .fact("heap_after_mib", after / 1048576.0)
          .write();
    }
  }

  /** Claims and rejections, in arrival order. */
  private static List<Frame> replies(FakeOzServer oz) {
    return oz.received().stream()
        .filter(f -> f.type().equals("task_claimed") || f.type().equals("task_rejected"))
        .toList();
  }

  /** Heap in use after collections have settled, as close to live data as the JVM will say. */
  private static long heapAfterGc() {
    var memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      long now = memory.getHeapMemoryUsage().getUsed();
      if (now >= used) {
        break;
      }
      used = now;
    }
    return used;
  }
}
