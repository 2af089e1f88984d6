package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.TaskOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every line an agent prints reaches the run's log and tail, however soon the agent exits: the
 * agent here is a CLI that prints and exits at once, which is over before the worker has done
 * anything else after spawning it.
 */
class DirectOutputIT {
  /**
   * Prints its task's id and exits; {@code QUICK_LINES} numbered lines before that when set, and
   * with {@code QUICK_WAIT_FOR} a line, then nothing until that file exists. With {@code
   * QUICK_STRAY} it leaves a process in a session of its own (out of reach of the run's process
   * group) holding its output open, and records its pid where the rig finds it.
   */
  static final String QUICK_CLI =
      """
      #!/bin/sh
      if [ -n "${QUICK_STRAY:-}" ]; then
        echo "$TASK_ID: before the stray"
        mkdir -p "$STANDIN_RECORDS"
        /usr/bin/setsid sh -c \
          'echo "$$" >"$1/.grandchild"; mv "$1/.grandchild" "$1/grandchild"; exec sleep 600' \
          stray "$STANDIN_RECORDS" &
        # out of the group only once it recorded itself: then the run's SIGKILL misses it
        while [ ! -e "$STANDIN_RECORDS/grandchild" ]; do sleep 0.01; done
      fi
      if [ -n "${QUICK_WAIT_FOR:-}" ]; then
        echo "$TASK_ID: waiting"
        while [ ! -e "$QUICK_WAIT_FOR" ]; do sleep 0.05; done
      fi
      if [ -n "${QUICK_LINES:-}" ]; then
        seq -f "$TASK_ID line %.0f" 1 "$QUICK_LINES"
      fi
      echo "$TASK_ID says goodbye"
      """;

  @TempDir Path tmp;
  DirectRig rig;
  Path quick;

  @BeforeEach
  void rig() throws Exception {
    rig = new DirectRig(tmp);
    quick = tmp.resolve("bin/quick-oz");
    Files.writeString(quick, QUICK_CLI);
    Files.setPosixFilePermissions(quick, PosixFilePermissions.fromString("rwx------"));
  }

  @AfterEach
  void stopWhatWasStarted() {
    rig.stop();
  }

  @Test
  void anAgentThatPrintsAndExitsAtOnceKeepsItsLineInTheLogAndTheTailOnEveryRun() throws Exception {
    DirectBackend backend = rig.backend(quick, rig.config(), true);
    int runs = 200;
    int together = 4;
    List<String> lost = new ArrayList<>();

    for (int wave = 0; wave < runs / together; wave++) {
      Map<String, DirectRig.Listener> started = new LinkedHashMap<>();
      for (int i = 0; i < together; i++) {
        String runId = "q-" + wave + "-" + i;
        DirectRig.Listener listener = new DirectRig.Listener();
        backend.start(rig.task(runId, Map.of()), listener);
        started.put(runId, listener);
      }
      for (var run : started.entrySet()) {
        String line = run.getKey() + " says goodbye\n";
        TaskOutcome outcome = run.getValue().outcome();
        assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
        String logged = Files.readString(TaskLog.file(rig.logs, run.getKey()));
        if (!outcome.logTail().equals(line) || !logged.equals(line)) {
          lost.add(run.getKey() + " (tail " + outcome.logTail().length() + " chars)");
        }
      }
    }

    assertThat(lost).as("runs whose output was lost, of %d", runs).isEmpty();
  }

  @Test
  void anAgentThatPrintsMoreThanAPipeHoldsAndExitsAtOnceKeepsAllOfIt() throws Exception {
    DirectBackend backend = rig.backend(quick, rig.config(), true);
    int lines = 50_000;
    Map<String, DirectRig.Listener> started = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      String runId = "lots-" + i;
      DirectRig.Listener listener = new DirectRig.Listener();
      backend.start(rig.task(runId, Map.of("QUICK_LINES", Integer.toString(lines))), listener);
      started.put(runId, listener);
    }

    for (var run : started.entrySet()) {
      String runId = run.getKey();
      TaskOutcome outcome = run.getValue().outcome();
      assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
      List<String> expected =
          new ArrayList<>(
              IntStream.rangeClosed(1, lines).mapToObj(n -> runId + " line " + n).toList());
      expected.add(runId + " says goodbye");
      List<String> logged = Files.readAllLines(TaskLog.file(rig.logs, runId));
      assertThat(logged.size()).as("lines in the log of %s", runId).isEqualTo(expected.size());
      assertThat(logged).isEqualTo(expected);
      assertThat(outcome.logTail())
          .endsWith(runId + " line " + lines + "\n" + runId + " says goodbye\n");
    }
  }

  @Test
  void anAdoptedAgentThatPrintsAndExitsAtOnceKeepsItsOutput() throws Exception {
    Path release = tmp.resolve("release");
    DirectBackend first = rig.backend(quick, rig.config(), true);
    first.start(
        rig.task("t-adopted", Map.of("QUICK_WAIT_FOR", release.toString())),
        new DirectRig.Listener());
    Path log = TaskLog.file(rig.logs, "t-adopted");
    await()
        .atMost(DirectRig.DEADLINE)
        .until(() -> Files.readString(log).equals("t-adopted: waiting\n"));
    first.close();

    DirectBackend second = rig.backend(quick, rig.config(), true);
    DirectRig.Listener after = new DirectRig.Listener();
    second.reattach(rig.task("t-adopted", Map.of()), DirectRig.planned("t-adopted"), after);
    after.awaitRunning();
    Files.writeString(release, "go");

    TaskOutcome outcome = after.outcome();
    assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
    assertThat(outcome.logTail()).isEqualTo("t-adopted says goodbye\n");
    assertThat(Files.readString(log)).isEqualTo("t-adopted: waiting\nt-adopted says goodbye\n");
  }

  @Test
  void anAgentWhoseStrayProcessHoldsItsOutputOpenFinishesAfterTheBoundedWaitAndSaysSo()
      throws Exception {
    DirectBackend backend = rig.backend(quick, rig.config(), true);
    DirectRig.Listener listener = new DirectRig.Listener();

    backend.start(rig.task("t-stray", Map.of("QUICK_STRAY", "1")), listener);

    TaskOutcome outcome = listener.outcome();
    long stray = rig.recordedPid("t-stray", "grandchild");
    assertThat(DirectRig.isGone(stray))
        .as("the run ended while its stray still held the output")
        .isFalse();
    assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
    String logged = Files.readString(TaskLog.file(rig.logs, "t-stray"));
    assertThat(logged)
        .startsWith("t-stray: before the stray\nt-stray says goodbye\n")
        .contains("[worker] output cut 2000 ms after the agent exited", "not kept");
    assertThat(outcome.logTail()).contains("t-stray says goodbye", "[worker] output cut");
    await()
        .atMost(DirectRig.DEADLINE)
        .alias("the run's output is no longer read by any thread")
        .until(
            () ->
                Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(thread -> thread.getName().equals("output-t-stray")));
  }
}
