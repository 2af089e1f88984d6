package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTaskPhase;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A private dockerd restarted (live-restore off) while two tasks' containers run: the engine stops
 * them, so each task must end with one honest failed result, none started again; the same worker
 * process then runs a new task on the restarted engine and leaves no container behind.
 */
final class DockerdRestartScenario implements Callable<FaultReport> {
  private final KubernetesClient client;
  private final Path root;

  DockerdRestartScenario(KubernetesClient client, Path root) {
    this.client = client;
    this.root = root;
  }

  @Override
  public FaultReport call() throws Exception {
    List<String> tasks = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try (PrivateDockerd engine = PrivateDockerd.start()) {
      FaultImage image = FaultImage.importInto(engine.host());
      String workerId = "fault-dockerd-restart";
      DockerKillStage stage = new DockerKillStage(root, image, workerId, (id, point) -> false);
      try (DependencyRig rig =
          new DependencyRig(
              client,
              root,
              "dockerd-restart",
              stage.backendYaml(),
              stage.workerEnv(),
              Path.of(System.getenv("KUBECONFIG")))) {
        rig.worker.start();
        for (int i = 0; i < 2; i++) {
          String taskId = "dockerd-restart-" + i;
          tasks.add(taskId);
          rig.oz.assign(workerId, stage.assignment(taskId, KillPoint.RUNNING));
          stage.awaitPoint(taskId, KillPoint.RUNNING);
          await()
              .atMost(DependencyRig.WAIT)
              .until(() -> rig.phase(taskId) == AgentTaskPhase.Running);
        }
        long restartBegan = System.nanoTime();
        engine.restart();
        long restartMillis = (System.nanoTime() - restartBegan) / 1_000_000;
        rig.awaitSettled(tasks, DependencyRig.WAIT);
        // live-restore is off: the engine killed the agents, which is what their one result says
        for (String taskId : tasks) {
          boolean honest =
              rig.ledger.results(taskId).stream()
                  .allMatch(
                      frame ->
                          frame.type().equals("task_failed")
                              && frame
                                  .data()
                                  .path("failure_reason")
                                  .asText()
                                  .equals("container_exit"));
          if (!honest) {
            problems.add(taskId + " did not end as container_exit: " + rig.ledger.results(taskId));
          }
        }

        String fresh = "dockerd-restart-after";
        tasks.add(fresh);
        rig.oz.assign(workerId, stage.assignment(fresh, KillPoint.STORED));
        rig.awaitSettled(List.of(fresh), DependencyRig.WAIT);
        if (rig.ledger.results(fresh).stream().noneMatch(f -> f.type().equals("task_completed"))) {
          problems.add("the task after the restart did not complete: " + rig.ledger.results(fresh));
        }
        if (rig.worker.generations() != 1 || !rig.worker.isAlive()) {
          problems.add("the worker did not keep running as one process");
        }
        rig.close();
        List<String> leftovers = stage.leftovers();
        image.remove();
        return new FaultReport(
            "dockerd-restart",
            tasks.size(),
            problems.size(),
            rig.ledger.lost(tasks),
            rig.ledger.duplicates(tasks),
            leftovers.size(),
            "restart=%dms outcomes=%s resent=%d"
                    .formatted(restartMillis, rig.ledger.outcomes(tasks), rig.ledger.resent(tasks))
                + (problems.isEmpty() ? "" : " problems=" + problems + leftovers));
      }
    }
  }
}
