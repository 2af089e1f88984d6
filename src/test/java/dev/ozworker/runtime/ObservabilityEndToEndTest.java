package dev.ozworker.runtime;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.LogFormat;
import dev.ozworker.config.LogLevel;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.controller.ScriptedBackend;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.observe.LogSetup;
import dev.ozworker.observe.Scrape;
import dev.ozworker.observe.TaskPhase;
import dev.ozworker.oz.fake.FakeOzServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an operator sees of a worker: {@code /metrics} after real tasks, the Events and conditions
 * of a failed task, and the probes when the API server goes away. Fake Oz server, in-process API
 * server, controller with a scripted backend, HTTP over loopback.
 */
class ObservabilityEndToEndTest {
  static final String API_KEY = "wk-obs-key-41d7";
  static final Duration WAIT = Duration.ofSeconds(20);

  FakeOzServer oz;
  MockApi api;
  KubernetesClient client;
  ScriptedBackend backend;
  WorkerRuntime worker;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws InterruptedException {
    oz = FakeOzServer.start(API_KEY);
    api = MockApi.start();
    client = api.client();
    backend = new ScriptedBackend();
  }

  @AfterEach
  void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
    backend.close();
    api.close();
    oz.close();
    http.close();
  }

  @Test
  void metricsCarryEveryReferenceSeriesAndTimeEachStepOfRealTasks() throws Exception {
    worker = worker("worker_id: w1\nmax_concurrent_tasks: 2");
    Scrape before = scrape();
    assertReferenceSeries(before);
    assertThat(before.value("oz_worker_tasks_claimed_total")).contains(0.0);
    assertThat(before.value("oz_worker_task_duration_seconds_count", Map.of("result", "failed")))
        .contains(0.0);

    oz.assign("w1", assignment("ok"));
    oz.assign("w1", assignment("bad"));
    await().atMost(WAIT).until(() -> phase("ok") == AgentTaskPhase.Running);
    await().atMost(WAIT).until(() -> phase("bad") == AgentTaskPhase.Running);
    oz.assign("w1", assignment("third"));
    await().atMost(WAIT).until(() -> !oz.framesAbout("third", "task_rejected").isEmpty());
    backend.finish("ok", new TaskOutcome.Succeeded("done\n"));
    backend.finish(
        "bad",
        new TaskOutcome.Failed(
            new TaskFailure(
                FailureReason.AGENT_INVOCATION, 3, "the agent exited with status 3", null),
            "boom\n"));
    await().atMost(WAIT).until(() -> reported("ok") && reported("bad"));

    Scrape after = scrape();
    assertReferenceSeries(after);
    assertThat(after.value("oz_worker_connected")).contains(1.0);
    assertThat(after.value("oz_worker_tasks_max_concurrent")).contains(2.0);
    assertThat(after.value("oz_worker_tasks_claimed_total")).contains(2.0);
    assertThat(after.value("oz_worker_tasks_rejected_total", Map.of("reason", "at_capacity")))
        .contains(1.0);
    assertThat(after.value("oz_worker_tasks_completed_total", Map.of("result", "succeeded")))
        .contains(1.0);
    assertThat(after.value("oz_worker_tasks_completed_total", Map.of("result", "failed")))
        .contains(1.0);
    assertThat(after.value("oz_worker_task_duration_seconds_count", Map.of("result", "failed")))
        .contains(1.0);
    assertThat(
            after.value(
                "oz_worker_task_failures_total",
                Map.of("phase", "backend", "reason", "agent_invocation")))
        .contains(1.0);
    assertThat(after.value("oz_worker_tasks_active")).contains(0.0);
    assertThat(after.value("oz_worker_tasks_queued")).contains(0.0);
    assertThat(after.value("oz_worker_results_unreported")).contains(0.0);
    for (TaskPhase step : TaskPhase.values()) {
      double observed =
          after.named(step.metricName() + "_count").stream()
              .filter(s -> "direct".equals(s.labels().get("backend")))
              .mapToDouble(Scrape.Sample::value)
              .sum();
      assertThat(observed).as(step.metricName()).isEqualTo(2.0);
    }
    assertThat(
            after.value(
                TaskPhase.RUN.metricName() + "_count",
                Map.of("backend", "direct", "result", "failed")))
        .contains(1.0);
    assertThat(
            after.value(
                TaskPhase.REPORT.metricName() + "_count",
                Map.of("backend", "direct", "result", "succeeded")))
        .contains(1.0);
    assertThat(after.named("jvm_memory_used_bytes")).isNotEmpty();
    assertThat(after.named("jvm_threads_current")).isNotEmpty();
  }

  @Test
  void aFailedTaskTellsItsStoryInEventsAndConditions() throws Exception {
    worker = worker("worker_id: w1");
    oz.assign("w1", assignment("bad"));
    await().atMost(WAIT).until(() -> phase("bad") == AgentTaskPhase.Running);
    backend.finish(
        "bad",
        new TaskOutcome.Failed(
            new TaskFailure(
                FailureReason.IMAGE_PULL, "image ghcr.io/x:y not found in any registry"),
            ""));
    await().atMost(WAIT).until(() -> phase("bad") == AgentTaskPhase.Failed);

    AgentTask task = agentTask("bad");
    assertThat(task.getStatus().getMessage())
        .isEqualTo("image ghcr.io/x:y not found in any registry");
    Map<String, Condition> conditions =
        task.getStatus().getConditions().stream()
            .collect(java.util.stream.Collectors.toMap(Condition::getType, c -> c));
    assertThat(conditions.get("Accepted").getStatus()).isEqualTo("True");
    assertThat(conditions.get("Started").getReason()).isEqualTo("AgentRunning");
    assertThat(conditions.get("Completed").getReason()).isEqualTo("Failed");
    assertThat(conditions.get("Completed").getMessage())
        .isEqualTo("image ghcr.io/x:y not found in any registry");
    assertThat(conditions.values())
        .allSatisfy(c -> assertThat(c.getLastTransitionTime()).isNotBlank());
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(events("bad"))
                    .extracting(e -> e.getType() + " " + e.getReason() + ": " + e.getMessage())
                    .containsExactly(
                        "Warning Failed: image ghcr.io/x:y not found in any registry"));
  }

  @Test
  void readinessFollowsTheApiServerWhileLivenessStaysUp() throws Exception {
    worker = worker("worker_id: w1");
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    await().atMost(WAIT).until(() -> get("/readyz").statusCode() == 200);
    assertThat(get("/readyz").body()).isEqualTo("ok\n");

    api.stopServing();

    await().atMost(WAIT).until(() -> get("/readyz").statusCode() == 503);
    assertThat(get("/readyz").body()).contains("API server");
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(get("/metrics").statusCode()).isEqualTo(200);
    assertThat(get("/nothing-here").statusCode()).isEqualTo(404);
  }

  @Test
  void jsonLogsOfAFullRunAtDebugCarryTheTaskIdAndNoSecret() throws Exception {
    String secret = "ghs_obsSECRETvalue93";
    String text;
    LogSetup.apply(LogLevel.debug, LogFormat.json);
    try (LogCapture logs = LogCapture.start()) {
      backend.ends(
          "s1",
          new TaskOutcome.Failed(
              new TaskFailure(FailureReason.AGENT_INVOCATION, 1, "agent printed " + secret, null),
              "token=" + secret + "\n"));
      worker = worker("worker_id: w1");
      oz.assign("w1", assignment("s1", Map.of("GITHUB_ACCESS_TOKEN", secret)));
      // the reporter logs its line once `reported` is written: wait for both
      await()
          .atMost(WAIT)
          .until(() -> reported("s1") && logs.text().contains("reported task_failed"));
      text = logs.text();
    } finally {
      LogSetup.apply(LogLevel.info, LogFormat.text);
    }

    assertThat(text).doesNotContain(secret).doesNotContain(API_KEY);
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : text.lines().filter(l -> l.startsWith("{")).toList()) {
      lines.add(json.readTree(line));
    }
    List<String> aboutTask =
        lines.stream()
            .filter(line -> "s1".equals(line.path("mdc").path("task").asText()))
            .map(line -> line.path("formattedMessage").asText())
            .toList();
    assertThat(aboutTask)
        .anyMatch(message -> message.contains("stored as AgentTask s1"))
        .anyMatch(message -> message.startsWith("AgentTask s1 is Failed: agent printed [REDACTED]"))
        .anyMatch(message -> message.startsWith("reported task_failed"));
  }

  @Test
  void tasksOnTheirUsualWayWriteNoEventsWhileResultsAreReportedAlongside() throws Exception {
    worker = worker("worker_id: w1\nmax_concurrent_tasks: 12");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String name = "quick-" + i;
      names.add(name);
      // Ends as soon as it starts, so the reporter writes `reported` while the controller still
      // writes the final status and cleanup: the writes conflict and are applied again.
      backend.ends(name, new TaskOutcome.Succeeded("done\n"));
      oz.assign("w1", assignment(name));
    }
    await().atMost(WAIT).until(() -> names.stream().allMatch(this::reported));

    // Events are written right after the status that brings them, and `reported` is the last
    // status: none can arrive later. Every Event is a write to the shared API server, and a task
    // that succeeds has nothing in it a user must notice.
    for (String name : names) {
      assertThat(events(name)).as(name).isEmpty();
    }
    assertThat(scrape().value("oz_worker_tasks_completed_total", Map.of("result", "succeeded")))
        .contains(12.0);
  }

  private static void assertReferenceSeries(Scrape scrape) {
    for (String name :
        List.of(
            "oz_worker_connected",
            "oz_worker_tasks_active",
            "oz_worker_tasks_max_concurrent",
            "oz_worker_tasks_claimed_total")) {
      assertThat(scrape.named(name)).as(name).hasSize(1);
    }
    assertThat(scrape.value("oz_worker_tasks_rejected_total", Map.of("reason", "at_capacity")))
        .isPresent();
    for (String result : List.of("succeeded", "failed", "cancelled")) {
      assertThat(scrape.value("oz_worker_tasks_completed_total", Map.of("result", result)))
          .as(result)
          .isPresent();
      assertThat(scrape.value("oz_worker_task_duration_seconds_count", Map.of("result", result)))
          .as(result)
          .isPresent();
    }
    for (String phase : List.of("assignment", "backend", "cleanup")) {
      for (FailureReason reason : FailureReason.values()) {
        assertThat(
                scrape.value(
                    "oz_worker_task_failures_total",
                    Map.of("phase", phase, "reason", reason.wireName())))
            .as(phase + "/" + reason.wireName())
            .isPresent();
      }
    }
    for (String reason : List.of("dial_failed", "remote_close")) {
      assertThat(scrape.value("oz_worker_websocket_reconnects_total", Map.of("reason", reason)))
          .isPresent();
    }
    assertThat(scrape.named("oz_worker_info"))
        .singleElement()
        .satisfies(
            info -> {
              assertThat(info.labels()).containsKeys("version").containsEntry("backend", "direct");
              assertThat(info.labels()).containsEntry("worker_id", "w1");
              assertThat(info.value()).isEqualTo(1.0);
            });
  }

  private WorkerRuntime worker(String yaml) {
    WorkerConfig config;
    try {
      config =
          WorkerConfigs.resolve(
              yaml,
              Map.of("WARP_API_KEY", API_KEY),
              "--backend",
              "direct",
              "--web-socket-url",
              oz.webSocketUrl().toString(),
              "--http-address",
              "127.0.0.1",
              "--http-port",
              "0");
    } catch (ConfigException e) {
      throw new IllegalStateException(e);
    }
    WorkerRuntime runtime =
        WorkerRuntime.start(
            client,
            config,
            List.of(backend),
            Clock.systemUTC(),
            false,
            OzLinkEndToEndTest.FAST,
            true);
    await().atMost(WAIT).until(() -> oz.isConnected(config.workerId()));
    return runtime;
  }

  private Scrape scrape() throws IOException, InterruptedException {
    return Scrape.of(http, url("/metrics"));
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + worker.httpPort().orElseThrow() + path);
  }

  private AgentTask agentTask(String name) {
    return client.resources(AgentTask.class).inNamespace(worker.namespace()).withName(name).get();
  }

  private AgentTaskPhase phase(String name) {
    AgentTask task = agentTask(name);
    return task == null || task.getStatus() == null ? null : task.getStatus().getPhase();
  }

  private boolean reported(String name) {
    AgentTask task = agentTask(name);
    return task != null
        && task.getStatus() != null
        && Boolean.TRUE.equals(task.getStatus().getReported());
  }

  private List<Event> events(String name) {
    return client.v1().events().inNamespace(worker.namespace()).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }
}
