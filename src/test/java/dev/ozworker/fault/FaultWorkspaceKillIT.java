package dev.ozworker.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.kube.ClusterWithCrd;
import dev.ozworker.oz.fake.FakeOzServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker jar killed with SIGKILL exactly inside the Direct backend's workspace making. Each
 * step of it ends with a call of {@code Files.move} (a record written in place, or the directory
 * moved into place); a {@link FaultBreakpoint} holds the JVM at the call that would end the step
 * and the process is killed there, before the call runs. Four windows: nothing recorded yet; the
 * directory made under its own name, its identity not recorded; its identity recorded, not moved;
 * moved into place, not recorded as the workspace. What the killed worker left on disk is checked
 * to be that window's state before a worker is started again, which must answer the task once,
 * start no agent, and leave no directory behind, while a directory in {@code workspace_root} that
 * the worker did not make stays. The state lives on the real API server in a namespace of its own.
 */
class FaultWorkspaceKillIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String RUN_FILES = "dev.ozworker.backend.direct.RunFiles";
  static final String WORKSPACES = "dev.ozworker.backend.direct.Workspaces";
  static final String STAGING = ".oz-making-";

  @RegisterExtension static final ClusterWithCrd cluster = new ClusterWithCrd();

  @TempDir Path root;

  /** Where the worker is killed, named after what it leaves. */
  enum Window {
    NOTHING_MADE_YET("nothing-made-yet"),
    MADE_NOT_RECORDED("made-not-recorded"),
    RECORDED_NOT_MOVED("recorded-not-moved"),
    MOVED_NOT_RECORDED("moved-not-recorded");

    final String label;

    Window(String label) {
      this.label = label;
    }

    /** Whether {@code move} ends this window's step of making {@code run}'s workspace. */
    boolean endsStep(FaultBreakpoint.Move move, Run run) {
      boolean writesMaking =
          move.caller().equals(RUN_FILES + ".write")
              && move.target().equals(run.files().resolve("making").toString());
      return switch (this) {
        // the directory about to be made, recorded without an identity
        case NOTHING_MADE_YET -> writesMaking && move.text().lines().count() == 1;
        // the made directory's identity
        case MADE_NOT_RECORDED -> writesMaking && move.text().lines().count() == 2;
        case RECORDED_NOT_MOVED ->
            move.caller().equals(WORKSPACES + ".prepare")
                && move.target().equals(run.workspace().toString());
        case MOVED_NOT_RECORDED ->
            move.caller().equals(RUN_FILES + ".write")
                && move.target().equals(run.files().resolve("run").toString());
      };
    }
  }

  /** A task's run: its record directory beside the logs and the workspace it is to get. */
  record Run(Path files, Path workspace) {}

  @Test
  void aWorkerKilledWhileItMakesAWorkspaceLeavesNothingBehindAndTheTaskEndsOnce() throws Exception {
    DirectKillStage stage = new DirectKillStage(root);
    Path workspaces = root.resolve("workspaces");
    Path foreign = Files.createDirectories(workspaces.resolve("made-by-someone-else"));
    Files.writeString(foreign.resolve("keep.txt"), "not the worker's");
    Path runs = root.resolve("logs").resolve(".direct");

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
    List<String> left = new ArrayList<>();
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
      for (Window window : Window.values()) {
        String taskId = workerId + "-" + window.label;
        tasks.add(taskId);
        Run run = new Run(runs.resolve(taskId), workspaces.resolve(taskId));
        if (worker.isAlive()) {
          assertThat(worker.stop(WAIT)).as("exit status of the previous worker").isZero();
        }
        try (FaultBreakpoint breakpoint =
            FaultBreakpoint.listen(move -> window.endsStep(move, run))) {
          worker.startNextWith(breakpoint.jvmOptions());
          worker.start();
          oz.assign(workerId, stage.assignment(taskId, KillPoint.STORED));
          breakpoint.awaitStop(WAIT);
          worker.kill();
        }
        String state = leftBehind(workspaces, run);
        left.add(window.label + ": " + state);
        System.out.printf("fault-suite workspace kill: %s left %s%n", window.label, state);
        assertThat(state)
            .as("what the worker killed in window " + window.label + " left")
            .isEqualTo(window.label);

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
          stage.leftovers().stream().filter(entry -> !entry.contains(foreign.toString())).toList();
      new FaultReport(
              "workspace kill",
              tasks.size(),
              0,
              ledger.lost(tasks),
              ledger.duplicates(tasks),
              leftovers.size(),
              "outcomes=%s redelivered=%d killed-in=%s leftovers=%s"
                  .formatted(ledger.outcomes(tasks), ledger.resent(tasks), left, leftovers))
          .print();
      assertThat(leftovers).as("left behind").isEmpty();
      assertThat(foreign.resolve("keep.txt")).as("a directory the worker did not make").exists();
      assertThat(ledger.violations(tasks)).as("results sent against the guarantee").isEmpty();
      for (String taskId : tasks) {
        assertThat(ledger.results(taskId)).as("results of " + taskId).hasSize(1);
        assertThat(ledger.starts(taskId)).as("agent starts of " + taskId).isZero();
      }
    } catch (Throwable failed) {
      keepLogs();
      throw failed;
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

  /** Copies every generation's log out of the folder JUnit deletes, into target/fault-suite. */
  private void keepLogs() throws IOException {
    Files.createDirectories(FaultReport.DIR);
    try (Stream<Path> logs = Files.list(root)) {
      for (Path log : logs.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
        Path kept = FaultReport.DIR.resolve("workspace-kill-" + log.getFileName());
        Files.copy(log, kept, StandardCopyOption.REPLACE_EXISTING);
        System.err.println("fault-suite workspace kill: kept " + kept.toAbsolutePath());
      }
    }
  }

  /**
   * The window whose state the killed worker left, read from disk: the directories being made in
   * {@code workspace_root}, the run's workspace, and its records ({@code making}: the directory
   * being made, then its identity; {@code run}: the workspace). Anything else is described.
   */
  static String leftBehind(Path workspaces, Run run) throws IOException {
    List<Path> staging;
    try (Stream<Path> entries = Files.list(workspaces)) {
      staging = entries.filter(p -> p.getFileName().toString().startsWith(STAGING)).toList();
    }
    Path making = run.files().resolve("making");
    List<String> recorded = Files.exists(making) ? Files.readAllLines(making) : List.of();
    boolean moved = Files.isDirectory(run.workspace(), LinkOption.NOFOLLOW_LINKS);
    boolean workspaceRecorded = Files.exists(run.files().resolve("run"));
    if (!workspaceRecorded && !moved && staging.isEmpty() && recorded.isEmpty()) {
      return Window.NOTHING_MADE_YET.label;
    }
    if (!workspaceRecorded && !moved && staging.size() == 1) {
      String made = staging.getFirst().toString();
      if (recorded.equals(List.of(made))) {
        return Window.MADE_NOT_RECORDED.label;
      }
      if (recorded.equals(List.of(made, identity(staging.getFirst())))) {
        return Window.RECORDED_NOT_MOVED.label;
      }
    }
    if (!workspaceRecorded
        && moved
        && staging.isEmpty()
        && recorded.size() == 2
        && recorded.get(1).equals(identity(run.workspace()))) {
      return Window.MOVED_NOT_RECORDED.label;
    }
    return "no window's state: staging=%s workspace=%s making=%s run recorded=%s"
        .formatted(staging, moved, recorded, workspaceRecorded);
  }

  /** As the worker records it: the file key (device and inode). */
  private static String identity(Path directory) throws IOException {
    return String.valueOf(
        Files.readAttributes(directory, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
            .fileKey());
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
}
