package dev.ozworker.e2e;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A pool of three Direct-backend workers as a Deployment on a real cluster (kube-local with its
 * kubelet): each replica connects to Oz under its pod name, thirty assignments spread over the
 * three run to their end, each visible with {@code kubectl get agenttasks} and reported once.
 */
@ExtendWith(ClusterImages.Extension.class)
class ClusterWorkerPoolIT {
  static final Duration RESULTS = Duration.ofMinutes(3);

  static ClusterImages images;
  static ClusterPool pool;
  static KubernetesClient admin;

  @BeforeAll
  static void useTheSharedPool(ClusterImages built, ClusterPool shared) {
    images = built;
    pool = shared;
    admin = shared.admin;
  }

  @Test
  void threeReplicasConnectWithTheirPodNamesAsWorkerIdsFromTheNodesOwnImages() throws Exception {
    List<String> pods = pool.pods();

    assertThat(pods).hasSize(3).doesNotHaveDuplicates();
    assertThat(pool.connectedAt.keySet()).containsExactlyInAnyOrderElementsOf(pods);
    String node = pool.pod(pods.getFirst()).orElseThrow().getSpec().getNodeName();
    // The kubelet reports the node's images with its status, every few seconds.
    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(
            () ->
                assertThat(
                        Command.kubectl(
                                "get", "node", node, "-o", "jsonpath={.status.images[*].names}")
                            .ok()
                            .out())
                    .contains(images.worker, images.agent));
  }

  @Test
  void thirtyAssignmentsSpreadOverThePoolAndEachResultArrivesOnce() throws Exception {
    List<String> workers = pool.pods();
    try (ClusterDispatch oz = new ClusterDispatch(pool.oz, ClusterPool.DIRECT_CAPACITY)) {
      Map<String, Integer> exitOf = new HashMap<>();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        String taskId = UUID.randomUUID().toString();
        // Every fifth agent fails, so that the exit code and reason columns show something.
        int exit = i % 5 == 4 ? 3 : 0;
        oz.queue(
            taskId, assignment(taskId, Map.of("E2E_SLEEP", "1", "E2E_EXIT", String.valueOf(exit))));
        exitOf.put(taskId, exit);
        ids.add(taskId);
      }
      long assigning = System.nanoTime();
      oz.start(workers);

      await().atMost(RESULTS).until(() -> ids.stream().allMatch(id -> !pool.results(id).isEmpty()));
      ClusterTimings.print("30 assignments on 3 workers to their last result", assigning);
      System.out.println(
          "assignments rejected by a full worker and offered again: "
              + oz.rejections()
              + ", "
              + oz.stallsBroken()
              + " of them when no result was owed");
      await()
          .atMost(RESULTS)
          .until(
              () ->
                  ids.stream()
                      .map(pool::task)
                      .allMatch(
                          t -> t != null && Boolean.TRUE.equals(t.getStatus().getReported())));

      for (String id : ids) {
        assertThat(pool.results(id)).as("results of %s", id).hasSize(1);
        assertThat(pool.oz.framesAbout(id, "task_claimed"))
            .singleElement()
            .extracting(frame -> frame.workerId())
            .isEqualTo(oz.worker(id));
        assertThat(pool.results(id).getFirst().type())
            .isEqualTo(exitOf.get(id) == 0 ? "task_completed" : "task_failed");
      }
      List<String> table = Command.kubectl("get", "agenttasks", "-n", pool.namespace).ok().lines();
      System.out.println("kubectl get agenttasks (first rows):");
      table.stream().limit(6).forEach(System.out::println);
      assertThat(table.getFirst())
          .matches("NAME\\s+PHASE\\s+TITLE\\s+WORKER\\s+EXIT\\s+REASON\\s+AGE");
      for (String id : ids) {
        AgentTask task = pool.task(id);
        String row =
            table.stream()
                .filter(line -> line.startsWith(task.getMetadata().getName() + " "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + id + " in " + table));
        String expected =
            exitOf.get(id) == 0
                ? "\\S+\\s+Succeeded\\s+Task "
                    + id
                    + "\\s+"
                    + oz.worker(id)
                    + "\\s+0\\s+\\d+[smhd]\\S*$"
                : "\\S+\\s+Failed\\s+Task "
                    + id
                    + "\\s+"
                    + oz.worker(id)
                    + "\\s+3\\s+agent_invocation\\s+\\d+[smhd]\\S*$";
        assertThat(row).matches(expected);
      }
      // Spread: every replica ran its share, and nothing ran twice.
      assertThat(pool.tasks().stream().map(t -> t.getStatus().getWorkerId()).distinct())
          .containsExactlyInAnyOrderElementsOf(workers);
    }
  }
}
