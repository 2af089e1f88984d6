package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The Oz server refuses every connection for a minute while three tasks run and finish (Direct
 * backend): their results wait on their AgentTasks and arrive once Oz accepts the worker again,
 * each once; then a new task is served by the same worker process.
 */
final class OzRefusalScenario implements Callable<FaultReport> {
  static final Duration OUTAGE = Duration.ofMinutes(1);

  private final KubernetesClient client;
  private final Path root;

  OzRefusalScenario(KubernetesClient client, Path root) {
    this.client = client;
    this.root = root;
  }

  @Override
  public FaultReport call() throws Exception {
    DirectKillStage stage = new DirectKillStage(root);
    List<String> tasks = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try (DependencyRig rig =
        new DependencyRig(
            client,
            root,
            "oz-refusal",
            stage.backendYaml(),
            Map.of(),
            Path.of(System.getenv("KUBECONFIG")))) {
      rig.worker.start();
      String workerId = rig.worker.workerId();
      for (int i = 0; i < 3; i++) {
        String taskId = "oz-refusal-" + i;
        tasks.add(taskId);
        rig.oz.assign(workerId, stage.assignment(taskId, KillPoint.RUNNING));
        stage.awaitPoint(taskId, KillPoint.RUNNING);
      }
      long outageBegan = System.nanoTime();
      rig.oz.refuseConnections(true);
      rig.oz.drop(workerId);
      for (String taskId : tasks) {
        stage.finishAgent(taskId);
      }
      // The tasks end while Oz is away; nothing can reach Oz meanwhile.
      await()
          .atMost(DependencyRig.WAIT)
          .until(() -> tasks.stream().allMatch(id -> KillCampaign.tornDown(rig.task(id))));
      int refusedBefore = rig.oz.refusedHandshakes().size();
      // The outage is the scenario's length, not a wait for something: it ends when a minute is up.
      await()
          .atMost(OUTAGE.plusSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> Duration.ofNanos(System.nanoTime() - outageBegan).compareTo(OUTAGE) >= 0);
      int refused = rig.oz.refusedHandshakes().size();
      int resultsDuringOutage = tasks.stream().mapToInt(id -> rig.ledger.results(id).size()).sum();
      if (resultsDuringOutage > 0) {
        problems.add(resultsDuringOutage + " results reached Oz while it refused connections");
      }
      rig.oz.refuseConnections(false);
      long back = System.nanoTime();
      rig.awaitSettled(tasks, DependencyRig.WAIT);
      Duration delivered = Duration.ofNanos(System.nanoTime() - back);

      String fresh = "oz-refusal-after";
      tasks.add(fresh);
      await().atMost(DependencyRig.WAIT).until(() -> rig.oz.isConnected(workerId));
      rig.oz.assign(workerId, stage.assignment(fresh, KillPoint.STORED));
      rig.awaitSettled(List.of(fresh), DependencyRig.WAIT);
      if (rig.worker.generations() != 1 || !rig.worker.isAlive()) {
        problems.add("the worker did not keep running as one process");
      }
      rig.close();
      List<String> leftovers = stage.leftovers();
      return new FaultReport(
          "oz-refused-1m",
          tasks.size(),
          problems.size(),
          rig.ledger.lost(tasks),
          rig.ledger.duplicates(tasks),
          leftovers.size(),
          "outage=%ds refusedHandshakes=%d (before tasks ended: %d) resent=%d deliveredAfter=%dms"
                  .formatted(
                      OUTAGE.toSeconds(),
                      refused,
                      refusedBefore,
                      rig.ledger.resent(tasks),
                      delivered.toMillis())
              + (problems.isEmpty() ? "" : " problems=" + problems + leftovers));
    }
  }
}
