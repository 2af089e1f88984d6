package dev.ozworker.backend.command;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.FailureReason;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.observe.Redactor;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import dev.ozworker.runtime.WorkerRuntime;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command backend end to end with real processes: the fake Oz server assigns over a real
 * WebSocket, the worker stores the task on the mock API server, the controller hands it to the
 * backend, and a real {@code /bin/sh -c} dispatch command reads the payload. Every process a test
 * leaves running is killed in {@link #stop()} by the pid it recorded.
 */
class CommandBackendIT {
  static final String API_KEY = "wk-command-it-51d";
  static final String SECRET = "ghs_commandITsecret7731";
  static final String WORKER = "w-command";
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path root;
  FakeOzServer oz;
  MockApi api;
  Path records;
  Path scripts;
  final List<AutoCloseable> started = new ArrayList<>();
  final List<Path> pidFiles = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    oz = FakeOzServer.start(API_KEY);
    api = MockApi.start();
    records = Files.createDirectories(root.resolve("records"));
    scripts = Files.createDirectories(root.resolve("bin"));
    for (String script : List.of("dispatch-recorder.sh", "cancel-recorder.sh", "oz-standin.sh")) {
      install(script);
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : started.reversed()) {
      closeable.close();
    }
    for (Path pidFile : pidFiles) {
      if (Files.exists(pidFile)) {
        ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()))
            .ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    api.close();
    oz.close();
  }

  @Test
  void anAcceptedDispatchIsFinalAsDispatchedWithoutAResultFrameAndFreesTheSlot() throws Exception {
    WorkerRuntime worker = worker(recorder(), Optional.empty(), "60s");
    try (LogCapture logs = LogCapture.start()) {
      oz.assign(WORKER, assignment("task-handed", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

      AgentTask task = awaitPhase("task-handed", AgentTaskPhase.Dispatched);
      // max_concurrent_tasks is 1: a second task is claimed only if the first freed its slot
      oz.assign(WORKER, assignment("task-next"));
      awaitPhase("task-next", AgentTaskPhase.Dispatched);

      assertThat(oz.framesAbout("task-next", "task_claimed")).hasSize(1);
      assertThat(oz.framesAbout("task-handed", "task_completed")).isEmpty();
      assertThat(oz.framesAbout("task-handed", "task_failed")).isEmpty();
      assertThat(oz.received()).extracting(Frame::type).doesNotContain("task_rejected");
      assertThat(task.getStatus().getFailureReason()).isNull();
      assertThat(task.getStatus().getLogTail()).contains(Redactor.MASK).doesNotContain(SECRET);
      assertThat(completed(worker, "dispatched")).isEqualTo(2.0);

      JsonNode payload = new ObjectMapper().readTree(record("task-handed", "payload"));
      assertThat(payload.path("version").asInt()).isEqualTo(1);
      assertThat(payload.path("run_id").asText()).isEqualTo("task-handed");
      assertThat(payload.path("worker_id").asText()).isEqualTo(WORKER);
      assertThat(payload.path("env").path("GITHUB_ACCESS_TOKEN").asText()).isEqualTo(SECRET);
      assertThat(payload.path("task").path("id").asText()).isEqualTo("task-handed");
      assertThat(payload.path("base_args"))
          .extracting(JsonNode::asText)
          .startsWith("agent", "run", "--share", "team:edit", "--task-id", "task-handed");

      Map<String, String> environ = environ("task-handed");
      assertThat(environ)
          .containsEntry("OZ_RUN_ID", "task-handed")
          .containsEntry("OZ_WORKER_BACKEND", "command")
          .containsEntry("OZ_EXECUTION_ID", "")
          .containsEntry("OPERATOR_VAR", "from-operator")
          .containsKeys("OZ_SERVER_ROOT_URL", "OZ_DOCKER_IMAGE")
          .doesNotContainKey("GITHUB_ACCESS_TOKEN");
      assertThat(String.join("\n", environ.values())).doesNotContain(SECRET);
      assertThat(record("task-handed", "cmdline")).doesNotContain(SECRET);
      assertThat(logs.text()).contains("task-handed").doesNotContain(SECRET);
    }
  }

  @Test
  void aDispatchCommandThatFailsFailsTheTaskWithDispatchCommand() throws Exception {
    worker(recorder(), Optional.empty(), "60s");
    oz.assign(WORKER, assignment("task-fails"));

    await().atMost(WAIT).until(() -> oz.framesAbout("task-fails", "task_failed").size() == 1);
    JsonNode failed = oz.framesAbout("task-fails", "task_failed").getFirst().data();
    assertThat(failed.path("failure_reason").asText()).isEqualTo("dispatch_command");
    assertThat(failed.path("exit_code").asInt()).isEqualTo(4);
    AgentTask task = get("task-fails");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(task.getStatus().getLogTail()).contains("the runtime refused the task");
  }

  @Test
  void aDispatchCommandOverItsTimeoutIsKilledAndFailsWithDispatchTimeout() throws Exception {
    worker(recorder(), Optional.empty(), "1s");
    oz.assign(WORKER, assignment("task-slow"));
    pidFiles.add(records.resolve("task-slow/pid"));

    await().atMost(WAIT).until(() -> oz.framesAbout("task-slow", "task_failed").size() == 1);
    assertThat(
            oz.framesAbout("task-slow", "task_failed")
                .getFirst()
                .data()
                .path("failure_reason")
                .asText())
        .isEqualTo(FailureReason.DISPATCH_TIMEOUT.wireName());
    long pid = Long.parseLong(record("task-slow", "pid").strip());
    await().atMost(WAIT).until(() -> isGone(pid));
  }

  @Test
  void aCancellationStopsTheDispatchAndRunsTheCancelCommand() throws Exception {
    worker(recorder(), Optional.of("sh " + scripts.resolve("cancel-recorder.sh")), "60s");
    oz.assign(WORKER, assignment("task-waits"));
    pidFiles.add(records.resolve("task-waits/pid"));
    await().atMost(WAIT).until(() -> Files.exists(records.resolve("task-waits/pid")));
    long pid = Long.parseLong(record("task-waits", "pid").strip());

    oz.cancel(WORKER, "task-waits");

    await().atMost(WAIT).until(() -> Files.exists(records.resolve("task-waits/cancelled")));
    assertThat(record("task-waits", "cancelled"))
        .contains("run=task-waits", "execution=", "backend=command", "stdin=empty");
    await().atMost(WAIT).until(() -> oz.framesAbout("task-waits", "task_completed").size() == 1);
    assertThat(
            oz.framesAbout("task-waits", "task_completed")
                .getFirst()
                .data()
                .path("task_state")
                .asText())
        .isEqualTo("CANCELLED");
    await().atMost(WAIT).until(() -> isGone(pid));
  }

  @Test
  void aCancellationOfAHandedOffTaskRunsTheCancelCommandOnceAndCountsItsFailure() throws Exception {
    String cancel = "sh " + scripts.resolve("cancel-recorder.sh") + " && exit 3";
    WorkerRuntime worker = worker(recorder(), Optional.of(cancel), "60s");
    oz.assign(WORKER, assignment("task-gone"));
    awaitPhase("task-gone", AgentTaskPhase.Dispatched);

    oz.cancel(WORKER, "task-gone");

    await().atMost(WAIT).until(() -> Files.exists(records.resolve("task-gone/cancelled")));
    assertThat(record("task-gone", "cancelled"))
        .contains("run=task-gone", "backend=command", "stdin=empty");
    await().atMost(WAIT).until(() -> cancelFailures(worker) == 1.0);
    AgentTask task =
        await()
            .atMost(WAIT)
            .until(
                () -> get("task-gone"),
                t ->
                    t.getStatus().getConditions().stream()
                        .anyMatch(c -> c.getType().equals("CancelPassedOn")));
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Dispatched);
    assertThat(oz.framesAbout("task-gone", "task_completed")).isEmpty();
    assertThat(oz.framesAbout("task-gone", "task_failed")).isEmpty();
  }

  @Test
  void theLocalExampleStartsTheCliDetachedAndTheTaskIsHandedOffWhileItRuns() throws Exception {
    Path example = Path.of("examples/command-backend/dispatch-local.py").toAbsolutePath();
    worker("python3 " + example, Optional.empty(), "60s");
    Path standin = records.resolve("standin");
    pidFiles.add(standin.resolve("pid"));

    oz.assign(
        WORKER,
        assignment(
            "task-local",
            Map.of("STANDIN_RECORDS", standin.toString(), "GITHUB_ACCESS_TOKEN", SECRET)));

    awaitPhase("task-local", AgentTaskPhase.Dispatched);
    await().atMost(WAIT).until(() -> Files.exists(standin.resolve("calls")));
    long cli = Long.parseLong(Files.readString(standin.resolve("pid")).strip());
    assertThat(ProcessHandle.of(cli).map(ProcessHandle::isAlive))
        .as("the CLI runs on after the worker forgot the task")
        .contains(true);
    assertThat(Files.readString(standin.resolve("calls")))
        .startsWith("agent run --share team:edit --task-id task-local");
    assertThat(Files.readString(standin.resolve("environ")))
        .contains("GITHUB_ACCESS_TOKEN=" + SECRET);

    Files.createFile(standin.resolve("release"));
    await()
        .atMost(WAIT)
        .until(
            () ->
                Files.readString(standin.resolve("calls"))
                    .contains("harness-support --run-id task-local report-shutdown"));
    assertThat(oz.framesAbout("task-local", "task_completed")).isEmpty();
    assertThat(oz.framesAbout("task-local", "task_failed")).isEmpty();
  }

  /** The test's dispatch command. */
  String recorder() {
    return "sh " + scripts.resolve("dispatch-recorder.sh");
  }

  WorkerRuntime worker(String dispatch, Optional<String> cancel, String timeout) throws Exception {
    String yaml =
        """
        worker_id: %s
        task_log_dir: %s
        max_concurrent_tasks: 1
        backend:
          command:
            dispatch_command: '%s'
            cancel_command: '%s'
            dispatch_timeout: %s
            environment:
              - {name: RECORDS, value: '%s'}
              - {name: OPERATOR_VAR, value: from-operator}
              - {name: OZ_BIN, value: '%s'}
              - {name: OZ_LOCAL_RUN_LOG_DIR, value: '%s'}
        """
            .formatted(
                WORKER,
                root.resolve("logs"),
                dispatch,
                cancel.orElse(""),
                timeout,
                records,
                scripts.resolve("oz-standin.sh"),
                root.resolve("runs"));
    WorkerConfig config =
        WorkerConfigs.resolve(
            yaml,
            Map.of("WARP_API_KEY", API_KEY),
            "--web-socket-url",
            oz.webSocketUrl().toString());
    Map<String, String> host =
        Map.of(
            "HOME", Files.createDirectories(root.resolve("home")).toString(),
            "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"),
            "WARP_API_KEY", API_KEY);
    CommandBackend backend = CommandBackend.create(config, host);
    started.add(backend);
    WorkerRuntime runtime =
        WorkerRuntime.start(
            api.client(), config, List.of(backend), Clock.systemUTC(), false, LinkTimings.DEFAULT);
    started.add(runtime);
    await().atMost(WAIT).until(() -> oz.isConnected(WORKER));
    return runtime;
  }

  AgentTask awaitPhase(String name, AgentTaskPhase phase) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              AgentTask task = get(name);
              return task != null
                  && task.getStatus() != null
                  && task.getStatus().getPhase() == phase;
            });
    return get(name);
  }

  AgentTask get(String name) {
    return api.client()
        .resources(AgentTask.class)
        .inNamespace(api.client().getNamespace())
        .withName(name)
        .get();
  }

  String record(String runId, String name) throws IOException {
    return Files.readString(records.resolve(runId).resolve(name), StandardCharsets.UTF_8);
  }

  Map<String, String> environ(String runId) throws IOException {
    return Arrays.stream(record(runId, "environ").split("\0"))
        .filter(entry -> entry.indexOf('=') > 0)
        .collect(
            java.util.stream.Collectors.toMap(
                entry -> entry.substring(0, entry.indexOf('=')),
                entry -> entry.substring(entry.indexOf('=') + 1),
                (first, second) -> second));
  }

  static double completed(WorkerRuntime worker, String result) {
    for (MetricSnapshot snapshot : worker.metrics().registry().scrape()) {
      if (snapshot instanceof CounterSnapshot counter
          && counter.getMetadata().getName().equals("oz_worker_tasks_completed")) {
        for (var point : counter.getDataPoints()) {
          if (result.equals(point.getLabels().get("result"))) {
            return point.getValue();
          }
        }
      }
    }
    return 0;
  }

  static double cancelFailures(WorkerRuntime worker) {
    for (MetricSnapshot snapshot : worker.metrics().registry().scrape()) {
      if (snapshot instanceof CounterSnapshot counter
          && counter.getMetadata().getName().equals("oz_worker_task_failures")) {
        for (var point : counter.getDataPoints()) {
          if ("cancel_command".equals(point.getLabels().get("reason"))
              && "backend".equals(point.getLabels().get("phase"))) {
            return point.getValue();
          }
        }
      }
    }
    return 0;
  }

  /** Gone, or a zombie nobody reaped yet: either way it runs no more. */
  static boolean isGone(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return true;
    }
  }

  private void install(String script) throws IOException {
    Path target = scripts.resolve(script);
    try (InputStream in = getClass().getResourceAsStream(script)) {
      Files.write(target, in.readAllBytes());
    }
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
  }
}
