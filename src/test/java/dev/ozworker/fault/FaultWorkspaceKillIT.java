package dev.ozworker.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ozworker.api.AgentTask;
import dev.ozworker.kube.ClusterWithCrd;
import dev.ozworker.oz.fake.FakeOzServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker jar killed with SIGKILL exactly inside the Direct backend's workspace making: strace
 * kills the JVM as it makes the system call that ends a step, before the call runs. Three windows:
 * before the directory to make is recorded, after it is made under its own name but before its
 * identity is recorded and it is moved into place, and after the move but before it is recorded as
 * the workspace (WorkspacesTest covers the remaining state on disk). A worker started again must
 * answer the task once and leave no directory behind, and a directory in {@code workspace_root}
 * that the worker did not make must stay. Runs where strace is installed ({@code .ci/run} installs
 * it); the state lives on the real API server in a namespace of its own.
 */
class FaultWorkspaceKillIT {
  static final Duration WAIT = Duration.ofSeconds(90);

  @RegisterExtension static final ClusterWithCrd cluster = new ClusterWithCrd();

  @TempDir Path root;

  /**
   * A window: the kill lands on the {@code nth} rename of the file {@code renamed} returns (strace
   * matches a rename by its source path): the worker writes each of its records to a hidden file
   * first and renames it into place.
   */
  record Window(String name, Function<String, Path> renamed, int nth) {}

  @Test
  void aWorkerKilledWhileItMakesAWorkspaceLeavesNothingBehindAndTheTaskEndsOnce() throws Exception {
    Path strace = Path.of("/usr/bin/strace");
    if ("true".equals(System.getenv("CI"))) {
      assertThat(strace).as(".ci/run installs strace").isExecutable();
    }
    assumeTrue(Files.isExecutable(strace), "strace is not installed");
    DirectKillStage stage = new DirectKillStage(root);
    Path workspaces = root.resolve("workspaces");
    Path foreign = Files.createDirectories(workspaces.resolve("made-by-someone-else"));
    Files.writeString(foreign.resolve("keep.txt"), "not the worker's");
    Path runs = root.resolve("logs").resolve(".direct");
    List<Window> windows =
        List.of(
            new Window("nothing-made-yet", id -> runs.resolve(id).resolve(".making"), 1),
            new Window("made-not-moved", id -> runs.resolve(id).resolve(".making"), 2),
            new Window("moved-not-recorded", id -> runs.resolve(id).resolve(".run"), 1));

    String suffix = UUID.randomUUID().toString().substring(0, 6);
    String namespace = "fault-ws-kill-" + suffix;
    String workerId = "fault-ws-kill-" + suffix;
    var client = cluster.client();
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    Path config = root.resolve("worker.yaml");
    Files.writeString(
        config,
        """
        worker_id: %s
        namespace: %s
        task_log_dir: %s
        cancel_grace_period: 2s
        %s\
        """
            .formatted(workerId, namespace, root.resolve("logs"), stage.backendYaml()));
    List<String> tasks = new ArrayList<>();
    try (FakeOzServer oz = FakeOzServer.start(FaultWorker.API_KEY);
        FaultWorker worker =
            new FaultWorker(
                root,
                workerId,
                config,
                oz,
                Map.of(),
                List.of("--kubeconfig", System.getenv("KUBECONFIG")))) {
      worker.warmUp();
      for (Window window : windows) {
        String taskId = workerId + "-" + window.name();
        tasks.add(taskId);
        worker.startNextUnder(
            List.of(
                strace.toString(),
                "-f",
                "-qq",
                "-o",
                "/dev/null",
                // no --seccomp-bpf: with it, strace 6.1 does not match -P paths for rename
                "-e",
                "trace=rename,renameat,renameat2",
                "-P",
                window.renamed().apply(taskId).toString(),
                "-e",
                "inject=rename,renameat,renameat2:signal=KILL:when=" + window.nth()));
        worker.start();
        oz.assign(workerId, stage.assignment(taskId, KillPoint.STORED));
        worker.awaitDeath(WAIT);
        System.out.printf(
            "fault-suite workspace kill: %s killed; left in workspace_root: %s%n",
            window.name(), FaultWorkspaceKillIT.entries(workspaces));
        worker.start();
        stage.release(taskId);
        await()
            .atMost(WAIT)
            .until(() -> KillCampaign.settled(task(namespace, taskId)) && results(oz, taskId) > 0);
      }
      TaskLedger ledger = new TaskLedger(oz, root.resolve("records"));
      FaultCleanup.deleteTasks(client, namespace, Duration.ofSeconds(60));
      assertThat(worker.stop(Duration.ofSeconds(60))).isZero();

      List<String> leftovers =
          stage.leftovers().stream().filter(left -> !left.contains(foreign.toString())).toList();
      new FaultReport(
              "workspace kill",
              windows.size(),
              0,
              ledger.lost(tasks),
              ledger.duplicates(tasks),
              leftovers.size(),
              "outcomes=%s redelivered=%d leftovers=%s"
                  .formatted(ledger.outcomes(tasks), ledger.resent(tasks), leftovers))
          .print();
      assertThat(leftovers).as("left behind").isEmpty();
      assertThat(foreign.resolve("keep.txt")).as("a directory the worker did not make").exists();
      for (String taskId : tasks) {
        assertThat(ledger.results(taskId)).as("results of " + taskId).hasSize(1);
        assertThat(ledger.starts(taskId)).as("agent starts of " + taskId).isZero();
      }
    } finally {
      client.resources(AgentTask.class).inNamespace(namespace).list().getItems().stream()
          .filter(t -> !t.getMetadata().getFinalizers().isEmpty())
          .forEach(
              t ->
                  client
                      .resources(AgentTask.class)
                      .inNamespace(namespace)
                      .withName(t.getMetadata().getName())
                      .edit(
                          edited -> {
                            edited.getMetadata().setFinalizers(List.of());
                            return edited;
                          }));
      client.namespaces().withName(namespace).delete();
    }
  }

  AgentTask task(String namespace, String taskId) {
    return cluster
        .client()
        .resources(AgentTask.class)
        .inNamespace(namespace)
        .withName(taskId)
        .get();
  }

  static int results(FakeOzServer oz, String taskId) {
    return FaultResults.results(oz, taskId).size();
  }

  static List<String> entries(Path dir) throws java.io.IOException {
    try (var entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
