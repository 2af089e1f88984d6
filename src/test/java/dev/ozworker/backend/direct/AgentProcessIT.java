package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.backend.TaskLog;
import dev.ozworker.observe.Redactor;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's wrapper on its own, with real processes and no worker around it. */
class AgentProcessIT {
  /** Leaves a {@code sleep} in its process group, records its pid, and exits with 3. */
  private static final String LEAVES_A_CHILD =
      """
      #!/bin/sh
      sleep 600 &
      echo "$!" >"$RECORDS/.child" && mv "$RECORDS/.child" "$RECORDS/child"
      exit 3
      """;

  @TempDir Path tmp;
  private Long child;

  @AfterEach
  void stopTheChild() {
    if (child != null) {
      ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void theWrapperWritesTheAgentsStatusThenEndsWhatTheAgentLeftInItsGroup() throws Exception {
    Path cli = tmp.resolve("oz");
    Files.writeString(cli, LEAVES_A_CHILD);
    Files.setPosixFilePermissions(cli, PosixFilePermissions.fromString("rwx------"));
    RunFiles files = RunFiles.of(tmp.resolve("logs"), "run-1");
    files.create();
    AgentProcess.makeFifos(List.of(files.output()));
    Path records = Files.createDirectories(tmp.resolve("records"));

    Process wrapper;
    // read end held open, as the worker does, so the wrapper's open of the FIFO does not block
    try (AgentOutput output =
        AgentOutput.open(
            files.output(),
            TaskLog.open(tmp.resolve("logs"), "run-1", Redactor.none()),
            "output-run-1",
            () -> true)) {
      wrapper =
          ProcessGroup.start(
              AgentProcess.command(cli, List.of(), files),
              tmp,
              Map.of("PATH", "/usr/bin:/bin", "RECORDS", records.toString()),
              new File("/dev/null"));
      assertThat(wrapper.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    child = Long.parseLong(Files.readString(records.resolve("child")).strip());
    assertThat(files.exitStatus()).as("the agent's status, in the run's files").contains(3);
    assertThat(wrapper.exitValue()).isEqualTo(AgentProcess.ENDS_OWN_GROUP);
    assertThat(AgentProcess.endedOwnGroup(wrapper.exitValue(), files)).isTrue();
    await()
        .atMost(DirectRig.DEADLINE)
        .alias("the agent's child, killed with the wrapper's group")
        .until(() -> DirectRig.isGone(child));
  }
}
