package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.oz.fake.OzAssignments;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Direct backend under kill: the stand-in CLI behind a wrapper that counts its starts, a setup
 * command and a teardown command that can be held on gate files, and every process of theirs
 * recorded by pid so that the end can check none is left.
 */
final class DirectKillStage implements KillStage {
  static final Duration WAIT = Duration.ofSeconds(60);

  private final Path root;
  private final Path records;
  private final Path gates;
  private final Path workspaces;
  private final Path pids;

  DirectKillStage(Path root) throws IOException {
    this.root = root;
    this.records = Files.createDirectories(root.resolve("records"));
    this.gates = Files.createDirectories(root.resolve("gates"));
    this.workspaces = Files.createDirectories(root.resolve("workspaces"));
    this.pids = gates.resolve("pids");
    Path bin = Files.createDirectories(root.resolve("bin"));
    Path standIn = bin.resolve("oz-standin.sh");
    try (InputStream script =
        getClass().getResourceAsStream("/dev/ozworker/backend/direct/oz-standin.sh")) {
      Files.write(standIn, script.readAllBytes());
    }
    executable(
        bin.resolve("oz"),
        """
        #!/bin/sh
        echo "$$" >>"%s"
        echo start >>"${STANDIN_RECORDS}-starts"
        exec sh "%s" "$@"
        """
            .formatted(pids, standIn));
    executable(
        bin.resolve("setup.sh"),
        """
        echo "$$" >>"%1$s"
        if [ -n "${SETUP_GATE:-}" ]; then
          touch "%2$s/setup-started-$OZ_RUN_ID"
          while [ ! -e "%2$s/$SETUP_GATE" ]; do sleep 0.05; done
        fi
        """
            .formatted(pids, gates));
    executable(
        bin.resolve("teardown.sh"),
        """
        echo "$$" >>"%1$s"
        if [ -e "%2$s/teardown-hold-$OZ_RUN_ID" ]; then
          touch "%2$s/teardown-started-$OZ_RUN_ID"
          while [ ! -e "%2$s/teardown-release-$OZ_RUN_ID" ]; do sleep 0.05; done
        fi
        """
            .formatted(pids, gates));
  }

  @Override
  public String backendYaml() {
    return """
    backend:
      direct:
        workspace_root: %s
        oz_path: %s
        setup_command: sh %s
        teardown_command: sh %s
    """
        .formatted(
            workspaces,
            root.resolve("bin/oz"),
            root.resolve("bin/setup.sh"),
            root.resolve("bin/teardown.sh"));
  }

  @Override
  public ObjectNode assignment(String taskId, KillPoint point) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("STANDIN_RECORDS", records.resolve(taskId).toString());
    switch (point) {
      case PREPARING -> env.put("SETUP_GATE", "setup-release-" + taskId);
      case RUNNING, EXITED_UNREPORTED ->
          env.put("STANDIN_WAIT_FOR", gates.resolve("run-release-" + taskId).toString());
      case TEARDOWN -> Files.createFile(gates.resolve("teardown-hold-" + taskId));
      case STORED -> {}
    }
    return OzAssignments.assignment(taskId, env);
  }

  @Override
  public void awaitPoint(String taskId, KillPoint point) {
    Path signal =
        switch (point) {
          case PREPARING -> gates.resolve("setup-started-" + taskId);
          case RUNNING, EXITED_UNREPORTED -> records.resolve(taskId + "-starts");
          case TEARDOWN -> gates.resolve("teardown-started-" + taskId);
          case STORED -> throw new IllegalArgumentException("seen on the API server");
        };
    await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> Files.exists(signal));
  }

  /** Lets a held agent exit (for {@link KillPoint#EXITED_UNREPORTED} before the kill). */
  void finishAgent(String taskId) throws IOException {
    touch(gates.resolve("run-release-" + taskId));
  }

  @Override
  public void release(String taskId) throws IOException {
    touch(gates.resolve("run-release-" + taskId));
    touch(gates.resolve("teardown-release-" + taskId));
    // The setup gate stays shut: the restarted worker must stop the setup it finds orphaned.
  }

  @Override
  public List<String> leftovers() throws IOException {
    List<String> left = new ArrayList<>();
    if (Files.exists(pids)) {
      for (String line : Files.readAllLines(pids)) {
        long pid = Long.parseLong(line.strip());
        // a pid the kernel has since given to a process not of this test is not a leak
        if (FaultProcesses.isRunning(pid)
            && FaultProcesses.commandLine(pid).contains(root.toString())) {
          left.add("process " + pid + " (" + FaultProcesses.commandLine(pid) + ")");
        }
      }
    }
    try (Stream<Path> entries = Files.list(workspaces)) {
      entries.forEach(entry -> left.add("workspace " + entry));
    }
    return left;
  }

  private static void touch(Path file) throws IOException {
    if (!Files.exists(file)) {
      Files.createFile(file);
    }
  }

  private static void executable(Path file, String text) throws IOException {
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
  }
}
