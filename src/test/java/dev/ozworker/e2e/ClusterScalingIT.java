package dev.ozworker.e2e;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool of Direct-backend workers scaled and disrupted with kubectl while tasks run, one step
 * after the other on the same Deployment: 3 → 1 replicas (the removed workers drain), {@code
 * kubectl delete pod} of the busy last one, then back to 3 (the new workers take tasks).
 *
 * <p>The overlay's drain (grace 20s, cancel grace 2s; see {@code runtime.DrainPlan}) lets running
 * tasks finish for 12s after SIGTERM: an 8s task finishes, a 120s task is cut as {@code
 * graceful_shutdown}.
 */
@ExtendWith(ClusterImages.Extension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterScalingIT {
  static final Duration WAIT = Duration.ofSeconds(120);
  static final String SHORT = "8";
  static final String LONG = "120";

  @TempDir static Path dir;
  static ClusterPool pool;

  /** The worker that stays after the scale-down, and its long task. */
  static String survivor;

  static String survivorsLongTask;

  @BeforeAll
  static void installThePool(ClusterImages images) throws Exception {
    pool = ClusterPool.install(images, "test-direct", 3, dir.resolve("overlay"));
  }

  @AfterAll
  static void removeThePool() throws Exception {
    if (pool != null) {
      pool.close();
    }
  }

  @Test
  @Order(1)
  void scalingDownDrainsTheRemovedWorkersCuttingOnlyWhatOutlastsTheDeadline() throws Exception {
    List<String> workers = pool.pods();
    Map<String, String> shortOf = new ConcurrentHashMap<>();
    Map<String, String> longOf = new ConcurrentHashMap<>();
    for (String worker : workers) {
      shortOf.put(worker, assign(worker, SHORT));
      longOf.put(worker, assign(worker, LONG));
    }
    await()
        .atMost(WAIT)
        .until(
            () ->
                pool.running().containsAll(shortOf.values())
                    && pool.running().containsAll(longOf.values()));

    long scaling = System.nanoTime();
    pool.scale(1);
    await().atMost(WAIT).until(() -> pool.pods().size() == 1);
    survivor = pool.pods().getFirst();
    List<String> removed = workers.stream().filter(w -> !w.equals(survivor)).toList();
    await().atMost(WAIT).until(() -> removed.stream().allMatch(w -> pool.pod(w).isEmpty()));
    ClusterTimings.print("scale 3 -> 1 until the removed pods are gone", scaling);

    assertThat(workers).contains(survivor);
    for (String worker : removed) {
      assertThat(pool.results(shortOf.get(worker)))
          .as("the %ss task of drained %s", SHORT, worker)
          .singleElement()
          .extracting(Frame::type)
          .isEqualTo("task_completed");
      assertThat(pool.results(longOf.get(worker)))
          .as("the %ss task of drained %s", LONG, worker)
          .singleElement()
          .extracting(ClusterPool::reason)
          .isEqualTo("graceful_shutdown");
    }
    await().atMost(WAIT).until(() -> !pool.results(shortOf.get(survivor)).isEmpty());
    assertThat(pool.results(shortOf.get(survivor)))
        .singleElement()
        .extracting(Frame::type)
        .isEqualTo("task_completed");
    survivorsLongTask = longOf.get(survivor);
    assertThat(pool.results(survivorsLongTask)).isEmpty();
    assertThat(pool.task(survivorsLongTask).getStatus().getPhase())
        .isEqualTo(AgentTaskPhase.Running);
  }

  @Test
  @Order(2)
  void deletingABusyWorkersPodEndsEachOfItsTasksWithOneResult() throws Exception {
    String shortTask = assign(survivor, "6");
    await().atMost(WAIT).until(() -> pool.running().contains(shortTask));

    long deleting = System.nanoTime();
    Command.kubectl(
            "delete", "pod", survivor, "-n", pool.namespace, "--wait=true", "--timeout=150s")
        .ok();
    ClusterTimings.print("kubectl delete pod of a busy worker until it is gone", deleting);

    assertThat(pool.results(shortTask))
        .singleElement()
        .extracting(Frame::type)
        .isEqualTo("task_completed");
    assertThat(pool.results(survivorsLongTask))
        .singleElement()
        .extracting(ClusterPool::reason)
        .isEqualTo("graceful_shutdown");
    // Nothing of the deleted worker is left running: every task it held has ended.
    List<AgentTask> itsTasks =
        pool.tasks().stream().filter(t -> survivor.equals(t.getStatus().getWorkerId())).toList();
    assertThat(itsTasks).hasSize(3).allMatch(t -> t.getStatus().getPhase().isTerminal());
    assertThat(pool.awaitWorkers(1)).doesNotContain(survivor);
  }

  @Test
  @Order(3)
  void scalingBackToThreeResumesWorkOnTheNewWorkers() throws Exception {
    List<String> before = pool.pods();
    Map<String, String> firstTaskOf = new ConcurrentHashMap<>();
    // As Oz does, a worker that connects is offered the queued work at once.
    pool.whenConnected(
        worker -> {
          if (!before.contains(worker)) {
            String taskId = UUID.randomUUID().toString();
            if (firstTaskOf.putIfAbsent(worker, taskId) == null) {
              pool.oz.assign(worker, assignment(taskId, Map.of("E2E_SLEEP", "1")));
            }
          }
        });

    long scaling = System.nanoTime();
    pool.scale(3);
    List<String> after = pool.awaitWorkers(3);
    List<String> added = after.stream().filter(w -> !before.contains(w)).toList();
    assertThat(added).hasSize(2);
    await()
        .atMost(WAIT)
        .until(() -> added.stream().allMatch(w -> !pool.results(firstTaskOf.get(w)).isEmpty()));

    List<Long> claimedAfter = new ArrayList<>();
    for (String worker : added) {
      String taskId = firstTaskOf.get(worker);
      Frame claim = pool.oz.framesAbout(taskId, "task_claimed").getFirst();
      long millis = Duration.ofNanos(claim.receivedNanos() - scaling).toMillis();
      claimedAfter.add(millis);
      System.out.printf(
          "e2e timing: kubectl scale 1 -> 3 to %s claiming its first task %d ms%n", worker, millis);
      assertThat(pool.results(taskId))
          .singleElement()
          .extracting(Frame::type)
          .isEqualTo("task_completed");
    }
    assertThat(claimedAfter).allMatch(millis -> millis > 0);
  }

  private static String assign(String worker, String seconds) {
    String taskId = UUID.randomUUID().toString();
    pool.oz.assign(worker, assignment(taskId, Map.of("E2E_SLEEP", seconds)));
    return taskId;
  }
}
