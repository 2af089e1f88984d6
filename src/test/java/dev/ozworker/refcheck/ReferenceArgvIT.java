package dev.ozworker.refcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver's golden table, checked against the Go reference worker: for every case with an
 * assignment, the reference (Direct backend) takes the assignment from a fake Oz server and starts
 * a stand-in {@code oz}, whose arguments must equal {@code expect.args} and whose environment must
 * contain {@code expect.env}.
 *
 * <p>Opt-in: runs only when {@code OZ_REFERENCE_WORKER} (system property or environment variable)
 * names the reference binary. {@code refcheck.golden} picks another table (default: the resolver's
 * golden file).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReferenceArgvIT {
  static final Path RESOLVER_GOLDEN =
      Path.of("src/test/resources/dev/ozworker/task/resolver-golden.yaml");
  static final String API_KEY = "refcheck-api-key";
  static final List<String> COMMON_ENV =
      List.of("TASK_ID", "GIT_TERMINAL_PROMPT", "GH_PROMPT_DISABLED", "WARP_SERVER_ROOT_URL");
  static final Duration DEADLINE = Duration.ofSeconds(30);
  // Non-ASCII is escaped so that an invisible difference (a non-breaking space, U+2028) shows.
  static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

  @TempDir Path temp;
  Path referenceWorker;
  FakeOzServer oz;
  long startedAt;
  final List<Duration> caseTimes = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  void startFakeOz() throws InterruptedException {
    String configured =
        Optional.ofNullable(System.getProperty("OZ_REFERENCE_WORKER"))
            .orElse(System.getenv("OZ_REFERENCE_WORKER"));
    assumeTrue(
        configured != null && !configured.isBlank() && Files.isExecutable(Path.of(configured)),
        "OZ_REFERENCE_WORKER does not name an executable reference worker (build it with"
            + " shared/tools/upstream-worker/build.sh); cross-check skipped");
    referenceWorker = Path.of(configured);
    startedAt = System.nanoTime();
    oz = FakeOzServer.start(API_KEY);
  }

  /** Prints the whole run's time and the median case (worker start to its task_completed). */
  @AfterAll
  void stopFakeOzAndReportTimes() throws InterruptedException {
    if (oz == null) {
      return;
    }
    oz.close();
    List<Duration> times = caseTimes.stream().sorted().toList();
    if (!times.isEmpty()) {
      System.out.printf(
          "reference cross-check: %d cases in %d ms, median %d ms per case%n",
          times.size(),
          Duration.ofNanos(System.nanoTime() - startedAt).toMillis(),
          times.get(times.size() / 2).toMillis());
    }
  }

  @TestFactory
  Stream<DynamicTest> referenceWorkerStartsOzAsTheGoldenTableSays() throws IOException {
    Path golden =
        Optional.ofNullable(System.getProperty("refcheck.golden"))
            .map(Path::of)
            .orElse(RESOLVER_GOLDEN);
    List<GoldenCase> cases = GoldenCase.withAssignments(golden);
    assertThat(cases).as("cases with an assignment in %s", golden).isNotEmpty();
    System.out.println("reference cross-check of " + golden + " with " + referenceWorker);
    return IntStream.range(0, cases.size())
        .mapToObj(i -> dynamicTest(cases.get(i).name(), () -> check(cases.get(i), "peer-" + i)));
  }

  private void check(GoldenCase golden, String workerId) throws Exception {
    try {
      checkAgainstReference(golden, workerId);
    } catch (AssertionError failure) {
      // Reports name dynamic tests by index; the message carries the case's name instead.
      throw new AssertionError("case '" + golden.name() + "': " + failure.getMessage(), failure);
    }
  }

  private void checkAgainstReference(GoldenCase golden, String workerId) throws Exception {
    assumeTrue(golden.skipReason().isEmpty(), () -> golden.skipReason().orElseThrow());
    Path dir = Files.createDirectories(temp.resolve(workerId));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path workspaces = Files.createDirectories(dir.resolve("workspaces"));
    Path standIn = AgentInvocation.installStandIn(bin);
    String taskId = golden.taskId();

    long start = System.nanoTime();
    try (ReferenceWorker worker =
        ReferenceWorker.start(
            referenceWorker,
            oz.webSocketUrl(),
            API_KEY,
            workerId,
            golden,
            workspaces,
            standIn,
            dir)) {
      awaitOrFail(worker, "the worker connects", () -> oz.isConnected(workerId));
      oz.send(workerId, "task_assignment", golden.assignment());
      awaitOrFail(worker, "the worker reports the task's end", () -> ended(workerId, taskId));
      caseTimes.add(Duration.ofNanos(System.nanoTime() - start));

      List<AgentInvocation> invocations = AgentInvocation.recordsOf(bin);
      assertThat(invocations)
          .as("oz invocations; frames: %s; worker log:%n%s", oz.received(), worker.log())
          .hasSize(1);
      AgentInvocation agent = invocations.get(0);
      assertThat(agent.cwd()).isEqualTo(workspaces.toRealPath().resolve(taskId));
      assertArgs(golden.expectedArgs(), agent.args());
      assertEnv(golden.expectedEnv(), agent.env());
      assertClaimedThenCompleted(oz.receivedFrom(workerId), taskId, workerId);
    }
  }

  private boolean ended(String workerId, String taskId) {
    return oz.receivedFrom(workerId).stream()
        .anyMatch(
            frame ->
                List.of("task_completed", "task_failed").contains(frame.type())
                    && frame.data().path("task_id").asText().equals(taskId));
  }

  /** Waits for {@code done} with a deadline; a worker that exits stops the wait early. */
  private void awaitOrFail(ReferenceWorker worker, String what, Callable<Boolean> done)
      throws Exception {
    try {
      await(what)
          .atMost(DEADLINE)
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(10))
          .until(() -> done.call() || !worker.isAlive());
    } catch (ConditionTimeoutException timeout) {
      // Reported below, with what the worker logged.
    }
    if (!done.call()) {
      fail(
          "%s did not happen within %s%s; refused handshakes: %s; frames: %s%nworker log:%n%s",
          what,
          DEADLINE,
          worker.isAlive() ? "" : " (the worker exited)",
          oz.refusedHandshakes(),
          oz.received(),
          worker.log());
    }
  }

  /**
   * Fails with the arguments that differ, by index: what lies between the longest common prefix and
   * the longest common suffix, so that one missing flag reads as one line, not a shifted tail.
   */
  static void assertArgs(List<String> expected, List<String> actual) {
    if (actual.equals(expected)) {
      return;
    }
    int prefix = 0;
    while (prefix < Math.min(expected.size(), actual.size())
        && expected.get(prefix).equals(actual.get(prefix))) {
      prefix++;
    }
    int suffix = 0;
    while (suffix < Math.min(expected.size(), actual.size()) - prefix
        && expected
            .get(expected.size() - 1 - suffix)
            .equals(actual.get(actual.size() - 1 - suffix))) {
      suffix++;
    }
    StringBuilder diff = new StringBuilder("oz arguments differ from expect.args\n");
    for (int i = prefix; i < expected.size() - suffix; i++) {
      diff.append(String.format("  [%d] expected %s%n", i, quoted(expected.get(i))));
    }
    for (int i = prefix; i < actual.size() - suffix; i++) {
      diff.append(String.format("  [%d] actual   %s%n", i, quoted(actual.get(i))));
    }
    diff.append(String.format("  (%d equal before, %d equal after)%n", prefix, suffix));
    diff.append("expected: ").append(quoted(expected)).append('\n');
    diff.append("actual:   ").append(quoted(actual));
    fail(diff.toString());
  }

  /**
   * Every expected entry is in the agent's environment (backends add their own, such as HOME or
   * GIT_CONFIG_GLOBAL), and the common entries keep their relative order.
   */
  static void assertEnv(List<String> expected, List<String> actual) {
    assertThat(actual).as("agent environment").containsAll(expected);
    List<String> common =
        expected.stream().filter(entry -> COMMON_ENV.contains(entry.split("=", 2)[0])).toList();
    List<Integer> positions = common.stream().map(actual::indexOf).toList();
    assertThat(positions)
        .as("positions of %s in the agent environment %s", common, actual)
        .isSorted();
  }

  static void assertClaimedThenCompleted(List<Frame> frames, String taskId, String workerId) {
    assertThat(frames)
        .as("frames from the worker: %s", frames)
        .extracting(Frame::type)
        .containsExactly("task_claimed", "task_completed");
    JsonNode claimed = frames.get(0).data();
    assertThat(claimed)
        .isEqualTo(JSON.createObjectNode().put("task_id", taskId).put("worker_id", workerId));
    JsonNode completed = frames.get(1).data();
    assertThat(completed)
        .isEqualTo(
            JSON.createObjectNode()
                .put("task_id", taskId)
                .put("message", "Task completed successfully"));
  }

  private static String quoted(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      return String.valueOf(value);
    }
  }
}
