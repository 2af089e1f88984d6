package dev.ozworker.refcheck;

import static dev.ozworker.refcheck.CompatibilityCase.intended;
import static dev.ozworker.refcheck.CompatibilityCase.same;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.OzAssignments;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
 * The reference worker and ours (the packaged jar, Direct backend, embedded API server) given the
 * same command lines and config files: each either connects to a fake Oz server or exits refusing;
 * where both connect and the case assigns a task, the stand-in {@code oz} each starts records its
 * arguments and environment, which must agree. Cases where ours differs today are listed apart,
 * with the reason; see README, "Differences from the reference worker".
 *
 * <p>Our worker runs as {@code java -jar ... run <flags>} (one case leaves {@code run} out) and
 * gets {@code task_log_dir} added to its config file: the reference refuses that key of ours, and
 * our default, /var/lib/oz/logs, is not the test's to write.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompatibilityIT {
  static final String API_KEY = "compat-api-key";
  static final Path JAR = Path.of("target", "oz-worker-operator.jar");
  static final Duration CONNECT = Duration.ofSeconds(45);
  static final Duration END = Duration.ofSeconds(45);

  /** Not a flag: our worker is started without its {@code run} subcommand. */
  static final String NO_SUBCOMMAND = "{no-subcommand}";

  static final String BASE =
      """
      backend:
        direct:
          workspace_root: {ws}
          oz_path: {oz}
      """;

  /** Config files, valid and not. */
  static final List<CompatibilityCase> CONFIGS =
      List.of(
          same("config: plain direct block", BASE, true),
          same("config: worker_id from the file", "worker_id: from-file\n" + BASE, false),
          same("config: idle_on_complete 10m", "idle_on_complete: 10m\n" + BASE, true),
          same("config: max_concurrent_tasks 2", "max_concurrent_tasks: 2\n" + BASE, true),
          same("config: cleanup false", "cleanup: false\n" + BASE, true),
          same(
              "config: direct environment with value and inherited",
              BASE
                  + "    environment:\n"
                  + "      - {name: FROM_FILE, value: v1}\n"
                  + "      - {name: HOME}\n",
              true),
          same("config: unknown top-level key", "no_such_key: 1\n" + BASE, false),
          same("config: unknown direct key", BASE + "    no_such_key: 1\n", false),
          same("config: two backend blocks", BASE + "  docker: {}\n", false),
          same("config: not YAML", "backend: [unclosed\n", false),
          same(
              "config: environment name with a space",
              BASE + "    environment:\n      - {name: \"A B\", value: x}\n",
              false),
          intended(
              "config: idle_on_complete not a duration",
              "refused at startup naming the key; the reference passes it to every agent",
              "idle_on_complete: soon\n" + BASE,
              false));

  /** Command lines, on top of the fixed ones (URL, key, worker id, --config-file). */
  static final List<CompatibilityCase> FLAGS =
      List.of(
          same("flags: none", null, true),
          same("flags: --log-level debug", null, true, "--log-level", "debug"),
          same("flags: --log-level loud", null, false, "--log-level", "loud"),
          same("flags: -e KEY=VALUE", null, true, "-e", "FOO=bar"),
          same("flags: -e twice", null, true, "-e", "FOO=bar", "-e", "BAZ=qux"),
          same("flags: --env KEY passes the host's value", null, true, "--env", "HOST_VALUE"),
          same("flags: --env=KEY=VALUE", null, true, "--env=FOO=with=equals"),
          same("flags: --idle-on-complete 5m", null, true, "--idle-on-complete", "5m"),
          same("flags: --idle-on-complete 0s", null, true, "--idle-on-complete", "0s"),
          intended(
              "flags: --idle-on-complete nonsense",
              "refused at startup naming the flag; the reference passes it to every agent",
              null,
              false,
              "--idle-on-complete",
              "nonsense"),
          same("flags: no subcommand", null, true, NO_SUBCOMMAND),
          // the reference expands ~ to the account's home (not $HOME): both refuse a file not there
          same(
              "flags: --config-file with ~, no such file",
              null,
              false,
              "--config-file",
              "~/absent.yaml"),
          same("flags: --no-cleanup", null, true, "--no-cleanup"),
          same("flags: --max-concurrent-tasks 3", null, true, "--max-concurrent-tasks", "3"),
          same("flags: --max-concurrent-tasks -1", null, false, "--max-concurrent-tasks", "-1"),
          same("flags: --max-concurrent-tasks x", null, false, "--max-concurrent-tasks", "x"),
          same("flags: --backend direct", null, true, "--backend", "direct"),
          same("flags: --backend nope", null, false, "--backend", "nope"),
          same("flags: unknown flag", null, false, "--no-such-flag"),
          same("flags: --target-dir missing", null, false, "--target-dir", "/nonexistent/compat"),
          same("flags: --server-root-url", null, true, "--server-root-url", "http://127.0.0.1:1"),
          same("flags: --config-file missing", null, false, "--config-file", "/nonexistent.yaml"),
          same("flags: a stray argument", null, false, "stray"));

  /** Command lines the reference's flag parser reads its own way, which ours now follows. */
  static final List<CompatibilityCase> REFERENCE_PARSING =
      List.of(
          same("flags: -e A=1,B=2 splits at commas", null, true, "-e", "A=1,B=2"),
          intended(
              "flags: -v a:/x,b:/y with the direct backend",
              "-v applies to the docker backend only and is refused with another; the reference"
                  + " ignores it",
              null,
              false,
              "-v",
              "/a:/x,/b:/y"),
          same("flags: --backend empty means docker", null, false, "--backend", ""),
          same("flags: --max-concurrent-tasks 0", null, true, "--max-concurrent-tasks", "0"),
          intended(
              "flags: --idle-on-complete without unit",
              "refused at startup naming the flag (not a duration); the reference passes it to"
                  + " every agent",
              null,
              false,
              "--idle-on-complete",
              "10"));

  @TempDir Path temp;
  Path reference;
  FakeOzServer oz;

  @BeforeAll
  void start() throws Exception {
    String configured =
        Optional.ofNullable(System.getProperty("OZ_REFERENCE_WORKER"))
            .orElse(System.getenv("OZ_REFERENCE_WORKER"));
    assumeTrue(
        configured != null && !configured.isBlank() && Files.isExecutable(Path.of(configured)),
        "OZ_REFERENCE_WORKER does not name an executable reference worker; comparison skipped");
    assumeTrue(Files.isRegularFile(JAR), JAR + " is not built");
    reference = Path.of(configured);
    oz = FakeOzServer.start(API_KEY);
  }

  @AfterAll
  void stop() throws Exception {
    if (oz != null) {
      oz.close();
    }
  }

  /**
   * Every case is started at once, one case at a time, both workers at once (a case is mostly
   * waiting for a JVM to start), and each dynamic test checks its case's pair.
   */
  @TestFactory
  Stream<DynamicTest> bothWorkersAcceptTheSameAndStartTheCliAlike() {
    List<CompatibilityCase> cases =
        Stream.of(CONFIGS, FLAGS, REFERENCE_PARSING).flatMap(List::stream).toList();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<CompletableFuture<Result[]>> pairs = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      CompatibilityCase c = cases.get(i);
      int n = i + 1;
      CompletableFuture<Result> ours =
          CompletableFuture.supplyAsync(() -> runQuietly(c, "ours-" + n, true), pool);
      CompletableFuture<Result> theirs =
          CompletableFuture.supplyAsync(() -> runQuietly(c, "ref-" + n, false), pool);
      pairs.add(ours.thenCombine(theirs, (a, b) -> new Result[] {b, a}));
    }
    CompletableFuture.allOf(pairs.toArray(CompletableFuture[]::new))
        .whenComplete((ignored, error) -> pool.shutdown());
    return IntStream.range(0, cases.size())
        .mapToObj(
            i ->
                dynamicTest(
                    cases.get(i).name(),
                    () -> {
                      Result[] pair = pairs.get(i).get(3, TimeUnit.MINUTES);
                      compare(cases.get(i), pair[0], pair[1]);
                    }));
  }

  private static void compare(CompatibilityCase c, Result theirs, Result our) {
    boolean agree = theirs.agreesWith(our);
    String both = "%nreference: %s%nours:      %s".formatted(theirs, our);
    if (c.difference().isPresent()) {
      assertThat(agree)
          .as(
              "expected difference (%s) is gone: move the case to the agreeing ones%s",
              c.difference().get(), both)
          .isFalse();
    } else {
      assertThat(agree).as("the workers disagree" + both).isTrue();
    }
  }

  private Result runQuietly(CompatibilityCase c, String workerId, boolean ours) {
    try {
      return run(c, workerId, ours);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Starts one worker for the case, waits for it to connect or exit, assigns, and stops it. */
  private Result run(CompatibilityCase c, String workerId, boolean ours) throws Exception {
    Path dir = Files.createDirectories(temp.resolve(workerId));
    Path home = Files.createDirectories(dir.resolve("home"));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path workspaces = Files.createDirectories(dir.resolve("workspaces"));
    Path standIn = AgentInvocation.installStandIn(bin);
    String yaml =
        (c.config() == null ? BASE : c.config())
            .replace("{ws}", workspaces.toString())
            .replace("{oz}", standIn.toString());
    if (ours) {
      // two of ours run at once: each serves its probes on a free port
      yaml = "task_log_dir: " + dir.resolve("logs") + "\nhttp_port: 0\n" + yaml;
    }
    Path config = dir.resolve("worker.yaml");
    Files.writeString(config, yaml);
    Files.writeString(home.resolve("worker.yaml"), yaml);
    List<String> command = new ArrayList<>();
    if (ours) {
      command.addAll(
          List.of(
              ProcessHandle.current().info().command().orElseThrow(),
              "-jar",
              JAR.toAbsolutePath().toString()));
      if (!c.flags().contains(NO_SUBCOMMAND)) {
        command.add("run");
      }
    } else {
      command.add(reference.toString());
    }
    command.addAll(
        List.of(
            "--web-socket-url",
            oz.webSocketUrl().toString(),
            "--api-key",
            API_KEY,
            "--worker-id",
            workerId));
    if (!c.flags().contains("--config-file")) {
      command.addAll(List.of("--config-file", config.toString()));
    }
    c.flags().stream()
        .filter(flag -> !flag.equals(NO_SUBCOMMAND))
        .forEach(flag -> command.add(flag.replace("{home}", home.toString())));
    Path log = dir.resolve("worker.log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.remove("WARP_API_KEY");
    env.remove("KUBECONFIG");
    env.put("HOME", home.toString());
    env.put("HOST_VALUE", "from-the-host");
    Process process = builder.start();
    try {
      try {
        await()
            .atMost(CONNECT)
            .pollInterval(Duration.ofMillis(20))
            .until(() -> oz.isConnected(workerId) || !process.isAlive());
      } catch (ConditionTimeoutException timeout) {
        // judged below from what happened
      }
      if (!oz.isConnected(workerId)) {
        process.waitFor(5, TimeUnit.SECONDS);
        return Result.refused(process.isAlive() ? -1 : process.exitValue(), read(log));
      }
      if (!c.assign()) {
        return Result.accepted(Optional.empty(), "");
      }
      String taskId = "compat-" + workerId;
      oz.send(
          workerId, "task_assignment", OzAssignments.assignment(taskId, Map.of("FROM_OZ", "o")));
      try {
        await()
            .atMost(END)
            .pollInterval(Duration.ofMillis(20))
            .until(() -> !AgentInvocation.recordsOf(bin).isEmpty() || !process.isAlive());
      } catch (ConditionTimeoutException timeout) {
        // judged below from what happened
      }
      List<AgentInvocation> invocations = AgentInvocation.recordsOf(bin);
      return Result.accepted(
          invocations.stream().findFirst().map(agent -> Agent.of(agent, taskId, workspaces, dir)),
          read(log));
    } finally {
      // the worker this case started, by its own process handle
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8).replaceAll("\u001B\\[[0-9;]*m", "");
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /**
   * What reached the CLI, with the worker's own names (its id, its task's id, its directories)
   * replaced by placeholders, and only the environment entries a worker is meant to pass on.
   */
  record Agent(List<String> args, List<String> env) {
    static final List<String> COMPARED =
        List.of(
            "TASK_ID",
            "FOO",
            "BAZ",
            "A",
            "HOST_VALUE",
            "FROM_FILE",
            "FROM_OZ",
            "HOME",
            "GIT_CONFIG_GLOBAL",
            "OZ_RUN_ID",
            "WARP_API_KEY");

    static Agent of(AgentInvocation agent, String taskId, Path workspaces, Path dir) {
      return new Agent(
          agent.args().stream().map(arg -> neutral(arg, taskId, workspaces, dir)).toList(),
          agent.env().stream()
              .filter(entry -> COMPARED.contains(entry.split("=", 2)[0]))
              .map(entry -> neutral(entry, taskId, workspaces, dir))
              .sorted()
              .toList());
    }

    private static String neutral(String text, String taskId, Path workspaces, Path dir) {
      return text.replace(workspaces.toString(), "<workspaces>")
          .replace(dir.toString(), "<dir>")
          .replace(taskId, "<task>");
    }
  }

  record Result(boolean accepted, int exitStatus, Optional<Agent> agent, String log) {
    static Result refused(int status, String log) {
      return new Result(false, status, Optional.empty(), log);
    }

    /** An accepted case; {@code log} is the worker's, shown when the CLI was not started. */
    static Result accepted(Optional<Agent> agent, String log) {
      return new Result(true, 0, agent, agent.isPresent() ? "" : log);
    }

    /** Both accept or both refuse (any non-zero status); accepted, the same reached the CLI. */
    boolean agreesWith(Result other) {
      return accepted == other.accepted && agent.equals(other.agent);
    }

    @Override
    public String toString() {
      return accepted
          ? "accepted; cli: "
              + agent.map(Agent::toString).orElse("not started; the worker's log:\n" + log)
          : "refused (exit " + exitStatus + "): " + log.lines().reduce((a, b) -> b).orElse("");
    }
  }
}
