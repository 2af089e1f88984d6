package dev.ozworker.runtime;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.direct.DirectBackend;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.observe.Redactor;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import io.fabric8.kubernetes.client.KubernetesClient;
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
 * One worker, end to end with real processes: the fake Oz server assigns, the worker stores and
 * claims, the controller hands the task to the Direct backend, the stand-in CLI runs, teardown
 * runs, and the result comes back as a frame — with the task's secret nowhere but in the agent's
 * env.
 */
class OzWorkerDirectIT {
  static final String API_KEY = "wk-direct-it-3c1";
  static final String SECRET = "ghs_directITsecret4417";
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path root;
  FakeOzServer oz;
  MockApi api;
  KubernetesClient client;
  Path ozCli;
  Path records;
  final List<AutoCloseable> started = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    oz = FakeOzServer.start(API_KEY);
    api = MockApi.start();
    client = api.client();
    records = Files.createDirectories(root.resolve("records"));
    ozCli = root.resolve("bin/oz");
    Files.createDirectories(ozCli.getParent());
    try (InputStream script =
        getClass().getResourceAsStream("/dev/ozworker/backend/direct/oz-standin.sh")) {
      Files.write(ozCli, script.readAllBytes());
    }
    Files.setPosixFilePermissions(ozCli, PosixFilePermissions.fromString("rwx------"));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : started.reversed()) {
      closeable.close();
    }
    api.close();
    oz.close();
  }

  @Test
  void aFailingAgentIsReportedWithItsExitCodeAndTheSecretStaysInItsEnvironment() throws Exception {
    WorkerRuntime worker = worker();
    try (LogCapture logs = LogCapture.start()) {
      oz.assign(
          "w-direct",
          assignment(
              "task-fails",
              Map.of(
                  "GITHUB_ACCESS_TOKEN",
                  SECRET,
                  "STANDIN_SAY",
                  "token " + SECRET,
                  "STANDIN_EXIT",
                  "3",
                  "STANDIN_RECORDS",
                  records.resolve("task-fails").toString())));

      await().atMost(WAIT).until(() -> oz.framesAbout("task-fails", "task_failed").size() == 1);
      Frame failed = oz.framesAbout("task-fails", "task_failed").getFirst();
      assertThat(failed.data().path("failure_reason").asText()).isEqualTo("agent_invocation");
      assertThat(failed.data().path("exit_code").asInt()).isEqualTo(3);
      assertThat(failed.data().path("message").asText())
          .isEqualTo("Failed to execute task: oz agent exited with error: exit status 3");

      AgentTask task = awaitTornDownAndReported("task-fails");
      assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
      assertThat(task.getStatus().getLogTail()).contains("agent says: " + Redactor.MASK);
      assertThat(argv("task-fails"))
          .startsWith("agent", "run", "--share", "team:edit", "--task-id", "task-fails");
      assertThat(environ("task-fails")).contains("GITHUB_ACCESS_TOKEN=" + SECRET);
      assertThat(root.resolve("teardown-ran-task-fails")).exists();
      assertThat(root.resolve("workspaces/task-fails")).doesNotExist();

      assertThat(oz.received()).extracting(Frame::text).noneMatch(t -> t.contains(SECRET));
      assertThat(json(task)).doesNotContain(SECRET);
      assertThat(json(client.v1().events().inNamespace(worker.namespace()).list()))
          .doesNotContain(SECRET);
      assertThat(Files.readString(TaskLog.file(root.resolve("logs"), "task-fails")))
          .contains("agent says: " + Redactor.MASK)
          .doesNotContain(SECRET);
      assertThat(logs.text()).contains("task-fails").doesNotContain(SECRET);
    }
  }

  @Test
  void aCancellationFromOzStopsTheAgentAndStillTearsDown() throws Exception {
    worker();
    oz.assign(
        "w-direct",
        assignment(
            "task-cancelled",
            Map.of(
                "STANDIN_WAIT_FOR", root.resolve("never").toString(),
                "STANDIN_RECORDS", records.resolve("task-cancelled").toString())));
    await().atMost(WAIT).until(() -> Files.exists(records.resolve("task-cancelled/argv")));
    long agentPid = Long.parseLong(Files.readString(records.resolve("task-cancelled/pid")).strip());

    oz.cancel("w-direct", "task-cancelled");

    await()
        .atMost(WAIT)
        .until(() -> oz.framesAbout("task-cancelled", "task_completed").size() == 1);
    assertThat(
            oz.framesAbout("task-cancelled", "task_completed")
                .getFirst()
                .data()
                .path("task_state")
                .asText())
        .isEqualTo("CANCELLED");
    AgentTask task = awaitTornDownAndReported("task-cancelled");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Cancelled);
    assertThat(ProcessHandle.of(agentPid).map(ProcessHandle::isAlive))
        .isNotEqualTo(Optional.of(true));
    assertThat(root.resolve("teardown-ran-task-cancelled")).exists();
  }

  WorkerRuntime worker() throws Exception {
    String yaml =
        """
        worker_id: w-direct
        task_log_dir: %s
        cancel_grace_period: 2s
        backend:
          direct:
            workspace_root: %s
            oz_path: %s
            teardown_command: touch "%s/teardown-ran-$OZ_RUN_ID"
        """
            .formatted(root.resolve("logs"), root.resolve("workspaces"), ozCli, root);
    WorkerConfig config =
        WorkerConfigs.resolve(
            yaml,
            Map.of("WARP_API_KEY", API_KEY),
            "--web-socket-url",
            oz.webSocketUrl().toString());
    Map<String, String> host =
        Map.of(
            "HOME", Files.createDirectories(root.resolve("home")).toString(),
            "TMPDIR", root.toString(),
            "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"),
            "WARP_API_KEY", API_KEY);
    DirectBackend backend = DirectBackend.create(config, host);
    started.add(backend);
    WorkerRuntime runtime =
        WorkerRuntime.start(
            api.client(), config, List.of(backend), Clock.systemUTC(), false, LinkTimings.DEFAULT);
    started.add(runtime);
    await().atMost(WAIT).until(() -> oz.isConnected("w-direct"));
    return runtime;
  }

  AgentTask awaitTornDownAndReported(String name) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              AgentTask task = get(name);
              return task.getStatus() != null
                  && Boolean.TRUE.equals(task.getStatus().getReported())
                  && task.getStatus().getConditions().stream()
                      .anyMatch(
                          c -> c.getType().equals("TornDown") && c.getStatus().equals("True"));
            });
    return get(name);
  }

  AgentTask get(String name) {
    return client
        .resources(AgentTask.class)
        .inNamespace(client.getNamespace())
        .withName(name)
        .get();
  }

  List<String> argv(String runId) throws IOException {
    String raw = Files.readString(records.resolve(runId).resolve("argv"), StandardCharsets.UTF_8);
    return Arrays.asList(raw.split("\0"));
  }

  List<String> environ(String runId) throws IOException {
    String raw =
        Files.readString(records.resolve(runId).resolve("environ"), StandardCharsets.UTF_8);
    return Arrays.asList(raw.split("\0"));
  }

  static String json(Object value) throws IOException {
    return new ObjectMapper().writeValueAsString(value);
  }
}
