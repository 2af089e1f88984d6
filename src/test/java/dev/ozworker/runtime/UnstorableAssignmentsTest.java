package dev.ozworker.runtime;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.api.AgentTask;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.controller.ScriptedBackend;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.observe.Scrape;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the intake answers an assignment it does not store, by cause (ADR 0013): one no worker could
 * ever store is claimed and failed once with its reason, one refused for a passing cause is
 * rejected, and one refused because the worker itself may not store tasks is rejected with the fix
 * and makes the worker not ready until a task is stored again.
 */
class UnstorableAssignmentsTest {
  static final String API_KEY = "wk-unstorable-3a1";
  static final String SECRET = "ghs_unstorableSECRET55";
  static final Duration WAIT = Duration.ofSeconds(20);

  FakeOzServer oz;
  MockApi api;
  ScriptedBackend backend;
  WorkerRuntime worker;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    oz = FakeOzServer.start(API_KEY);
    api = MockApi.start();
    backend = new ScriptedBackend();
    WorkerConfig config = config();
    worker =
        WorkerRuntime.start(
            api.clientWithoutRetries(),
            config,
            List.of(backend),
            Clock.systemUTC(),
            false,
            OzLinkEndToEndTest.FAST,
            true);
    await().atMost(WAIT).until(() -> oz.isConnected("w1"));
  }

  @AfterEach
  void stop() throws Exception {
    worker.close();
    backend.close();
    api.close();
    oz.close();
    http.close();
  }

  @Test
  void anUnsafeTaskIdIsClaimedAndFailedOnceAsWorkspaceSetupAndNothingIsStored() {
    oz.assign("w1", assignment("../etc", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

    Frame failed = awaitFailed("../etc");
    assertThat(failed.data().path("failure_reason").asText()).isEqualTo("workspace_setup");
    assertThat(failed.data().path("message").asText())
        .startsWith("Failed to execute task: invalid assignment: task_id \"../etc\"");
    assertAnsweredOnceAndNothingStored("../etc");
  }

  @Test
  void anEnvVarsNameThatCannotBeASecretKeyFailsTheTaskNamingTheField() {
    oz.assign("w1", assignment("bad-env", Map.of("NOT A NAME", SECRET)));

    Frame failed = awaitFailed("bad-env");
    assertThat(failed.data().path("failure_reason").asText()).isEqualTo("unknown");
    assertThat(failed.data().path("message").asText())
        .contains("env_vars name \"NOT A NAME\" is not usable");
    assertAnsweredOnceAndNothingStored("bad-env");
  }

  @Test
  void aTaskIdThatDiffersFromTheInnerTaskIdFailsTheTask() {
    ObjectNode data = assignment("outer-id");
    ((ObjectNode) data.get("task")).put("id", "inner-id");
    oz.assign("w1", data);

    Frame failed = awaitFailed("outer-id");
    assertThat(failed.data().path("message").asText())
        .contains("task.id \"inner-id\" differs from task_id \"outer-id\"");
    assertAnsweredOnceAndNothingStored("outer-id");
  }

  @Test
  void aTaskWhoseContentTheApiServerRefusesIsFailedWithTheServersReasonAndLeavesNoSecret() {
    api.failCreates(
        "/agenttasks",
        422,
        "Invalid",
        "spec.prompt",
        "Invalid value: \\\"null\\\": must be of type string");

    try (LogCapture logs = LogCapture.start()) {
      oz.assign("w1", assignment("refused", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

      Frame failed = awaitFailed("refused");
      assertThat(failed.data().path("failure_reason").asText()).isEqualTo("unknown");
      assertThat(failed.data().path("message").asText())
          .isEqualTo(
              "Failed to execute task: the Kubernetes API server refused the task: HTTP 422"
                  + " Invalid: spec.prompt: Invalid value: \"null\": must be of type string");
      assertAnsweredOnceAndNothingStored("refused");
      assertThat(logs.text())
          .contains("HTTP 422 Invalid: spec.prompt: Invalid value")
          .doesNotContain(SECRET);
    }
  }

  @Test
  void aSecretRefusedAfterItsAgentTaskWasCreatedTakesTheAgentTaskBackAndRejects() throws Exception {
    // The AgentTask is created first, its Secret second (owned by it): a refused Secret must not
    // leave a task behind that could run without its environment.
    api.failCreates("/secrets");

    oz.assign("w1", assignment("halfway", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

    await().atMost(WAIT).until(() -> oz.framesAbout("halfway", "task_rejected").size() == 1);
    assertThat(oz.framesAbout("halfway", "task_claimed")).isEmpty();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        api.client()
                            .resources(AgentTask.class)
                            .inNamespace(worker.namespace())
                            .list()
                            .getItems())
                    .isEmpty());
  }

  @Test
  void aTransientRefusalRejectsTheTaskAndKeepsTheWorkerReady() throws Exception {
    api.failCreates("/agenttasks");

    try (LogCapture logs = LogCapture.start()) {
      oz.assign("w1", assignment("later", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

      await().atMost(WAIT).until(() -> oz.framesAbout("later", "task_rejected").size() == 1);
      assertThat(logs.text()).contains("HTTP 503 ServiceUnavailable: etcd is unavailable");
    }
    assertThat(oz.framesAbout("later", "task_claimed")).isEmpty();
    assertThat(api.client().secrets().inNamespace(worker.namespace()).list().getItems()).isEmpty();
    assertThat(get("/readyz").statusCode()).isEqualTo(200);
  }

  @Test
  void aWorkerForbiddenToStoreTasksRejectsThemSaysHowToFixItAndIsNotReadyUntilItCan()
      throws Exception {
    api.failCreates(
        "/secrets",
        403,
        "Forbidden",
        "",
        "secrets is forbidden: User \\\"system:serviceaccount:default:oz\\\" cannot create"
            + " resource \\\"secrets\\\"");

    oz.assign("w1", assignment("forbidden", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

    await().atMost(WAIT).until(() -> oz.framesAbout("forbidden", "task_rejected").size() == 1);
    assertThat(
            oz.framesAbout("forbidden", "task_rejected").getFirst().data().path("reason").asText())
        .contains("RBAC");
    assertThat(oz.framesAbout("forbidden", "task_claimed")).isEmpty();
    await().atMost(WAIT).until(() -> get("/readyz").statusCode() == 503);
    assertThat(get("/readyz").body())
        .contains("HTTP 403 Forbidden: secrets is forbidden")
        .contains("apply the Role and RoleBinding of manifests/base (RBAC)");
    assertThat(scrape().value("oz_worker_tasks_rejected_total", Map.of("reason", "worker_setup")))
        .contains(1.0);

    api.failCreates(null);
    backend.ends("allowed", new TaskOutcome.Succeeded(""));
    oz.assign("w1", assignment("allowed"));
    await().atMost(WAIT).until(() -> oz.framesAbout("allowed", "task_completed").size() == 1);
    await().atMost(WAIT).until(() -> get("/readyz").statusCode() == 200);
  }

  @Test
  void aMissingCrdSaysToApplyIt() throws Exception {
    api.failCreates(
        "/agenttasks", 404, "NotFound", "", "the server could not find the requested resource");

    oz.assign("w1", assignment("no-crd"));

    await().atMost(WAIT).until(() -> oz.framesAbout("no-crd", "task_rejected").size() == 1);
    await().atMost(WAIT).until(() -> get("/readyz").statusCode() == 503);
    assertThat(get("/readyz").body()).contains("kubectl apply -f crds/");
    assertThat(api.client().secrets().inNamespace(worker.namespace()).list().getItems())
        .as("the Secret made before the refused AgentTask is deleted again")
        .isEmpty();
  }

  Frame awaitFailed(String taskId) {
    await().atMost(WAIT).until(() -> oz.framesAbout(taskId, "task_failed").size() == 1);
    return oz.framesAbout(taskId, "task_failed").getFirst();
  }

  /** Claimed once, then failed once, nothing else said about it, and nothing of it stored. */
  void assertAnsweredOnceAndNothingStored(String taskId) {
    // A later task answered means every frame about this one has arrived.
    backend.ends("after-" + taskId.hashCode(), new TaskOutcome.Succeeded(""));
    oz.assign("w1", assignment("after-" + taskId.hashCode()));
    await()
        .atMost(WAIT)
        .until(() -> oz.framesAbout("after-" + taskId.hashCode(), "task_claimed").size() == 1);
    List<String> about =
        oz.received().stream().filter(f -> f.taskId().equals(taskId)).map(Frame::type).toList();
    assertThat(about).containsExactly("task_claimed", "task_failed");
    assertThat(
            api.client()
                .resources(AgentTask.class)
                .inNamespace(worker.namespace())
                .list()
                .getItems())
        .extracting(task -> task.getSpec().getTaskId())
        .doesNotContain(taskId);
    assertThat(api.client().secrets().inNamespace(worker.namespace()).list().getItems())
        .extracting(secret -> secret.getMetadata().getName())
        .noneMatch(name -> !name.startsWith("after-"));
    assertThat(oz.received()).extracting(Frame::text).noneMatch(text -> text.contains(SECRET));
  }

  WorkerConfig config() throws ConfigException {
    return WorkerConfigs.resolve(
        "worker_id: w1",
        Map.of("WARP_API_KEY", API_KEY),
        "--backend",
        "direct",
        "--web-socket-url",
        oz.webSocketUrl().toString(),
        "--http-address",
        "127.0.0.1",
        "--http-port",
        "0");
  }

  Scrape scrape() throws IOException, InterruptedException {
    return Scrape.of(http, url("/metrics"));
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  URI url(String path) {
    return URI.create("http://127.0.0.1:" + worker.httpPort().orElseThrow() + path);
  }
}
