package dev.ozworker.runtime;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.ApiKey;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.controller.ScriptedBackend;
import dev.ozworker.intake.AgentTaskNames;
import dev.ozworker.intake.AssignmentMapping;
import dev.ozworker.intake.ResultMessages;
import dev.ozworker.intake.TaskResources;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.oz.Decoded;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.OzCodec;
import dev.ozworker.oz.TaskAssignment;
import dev.ozworker.oz.TaskRejected;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole path of an Oz task inside one worker, over real sockets: a fake Oz server, the link, an
 * in-process API server, the controller and a scripted backend, and the result frames coming back.
 */
class OzLinkEndToEndTest {
  static final String API_KEY = "wk-e2e-key-9f2c";
  static final String SECRET = "ghs_e2eSECRETvalue71";
  static final Duration WAIT = Duration.ofSeconds(20);
  static final LinkTimings FAST =
      new LinkTimings(
          // silence must last 5 s to drop a connection: a loaded CI machine never pauses that long
          Duration.ofMillis(500),
          Duration.ofSeconds(5),
          Duration.ofSeconds(2),
          Duration.ofSeconds(2),
          Duration.ofMillis(50),
          Duration.ofMillis(200),
          Duration.ofMillis(100),
          Duration.ofSeconds(5),
          Duration.ofMillis(200));

  FakeOzServer oz;
  MockApi api;
  KubernetesClient client;
  ScriptedBackend backend;
  volatile String namespace = "unset";
  final List<AutoCloseable> started = new ArrayList<>();

  @BeforeEach
  void start() throws InterruptedException {
    oz = FakeOzServer.start(API_KEY);
    api = MockApi.start();
    client = api.client();
    backend = new ScriptedBackend();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : started.reversed()) {
      closeable.close();
    }
    backend.close();
    api.close();
    oz.close();
  }

  @Test
  void claimsOnlyOnceTheAgentTaskAndItsSecretAreStoredThenReportsTheResult() {
    Map<String, Boolean> storedAtClaim = new ConcurrentHashMap<>();
    oz.onFrame(
        frame -> {
          if (frame.type().equals("task_claimed")) {
            storedAtClaim.put(
                frame.taskId(),
                agentTask(frame.taskId()) != null && secret(frame.taskId()) != null);
          }
        });
    backend.ends("t1", new TaskOutcome.Succeeded("done\n"));
    worker("worker_id: w1");

    oz.assign("w1", assignment("t1", Map.of("GITHUB_ACCESS_TOKEN", "t1-token")));

    await().atMost(WAIT).until(() -> oz.framesAbout("t1", "task_completed").size() == 1);
    assertThat(storedAtClaim).containsExactly(Map.entry("t1", true));
    // Owned by its task from its first write: no write later to make it so.
    AgentTask task = agentTask(AgentTaskNames.agentTask("t1", null));
    assertThat(secret(task.getMetadata().getName()).getMetadata().getOwnerReferences())
        .extracting(OwnerReference::getUid)
        .containsExactly(task.getMetadata().getUid());
    Frame claimed = oz.framesAbout("t1", "task_claimed").getFirst();
    assertThat(claimed.data().path("worker_id").asText()).isEqualTo("w1");
    Frame completed = oz.framesAbout("t1", "task_completed").getFirst();
    assertThat(completed.receivedNanos()).isGreaterThan(claimed.receivedNanos());
    assertThat(completed.data().path("message").asText()).isEqualTo("Task completed successfully");
    await()
        .atMost(WAIT)
        .until(() -> Boolean.TRUE.equals(agentTask("t1").getStatus().getReported()));
  }

  @Test
  void rejectsAtCapacityWithTheReferenceReasonAndStoresNothing() {
    WorkerRuntime worker = worker("worker_id: w1\nmax_concurrent_tasks: 1");
    oz.assign("w1", assignment("busy"));
    await().atMost(WAIT).until(() -> backend.isLive("busy"));
    assertThat(worker.activeTasks()).isEqualTo(1);

    oz.assign("w1", assignment("extra"));

    await().atMost(WAIT).until(() -> !oz.framesAbout("extra", "task_rejected").isEmpty());
    assertThat(oz.framesAbout("extra", "task_rejected").getFirst().data().path("reason").asText())
        .isEqualTo(TaskRejected.AT_CAPACITY);
    assertThat(agentTask("extra")).isNull();
    assertThat(secret("extra")).isNull();

    backend.finish("busy", new TaskOutcome.Succeeded(""));
    await().atMost(WAIT).until(() -> oz.framesAbout("busy", "task_completed").size() == 1);
    oz.assign("w1", assignment("extra"));
    await().atMost(WAIT).until(() -> oz.framesAbout("extra", "task_claimed").size() == 1);
  }

  @Test
  void aTaskFromOzIsStoredWithTheControllersFinalizerSoItIsNeverPatchedIn() {
    backend.ends("t1", new TaskOutcome.Succeeded(""));
    worker("worker_id: w1");

    oz.assign("w1", assignment("t1"));

    await().atMost(WAIT).until(() -> oz.framesAbout("t1", "task_completed").size() == 1);
    assertThat(agentTask("t1").getMetadata().getFinalizers())
        .containsExactly(AgentTaskKeys.FINALIZER);
    // The only patch of the task is the reporter's, of its status: none adds the finalizer.
    assertThat(api.patched())
        .filteredOn(path -> path.contains("/agenttasks/"))
        .isNotEmpty()
        .allMatch(path -> path.replaceFirst("\\?.*$", "").endsWith("/status"));

    client.resource(agentTask("t1")).delete();
    await().atMost(WAIT).until(() -> agentTask("t1") == null);
  }

  @Test
  void markingAResultReportedPatchesThatOneFieldOnce() {
    backend.ends("t1", new TaskOutcome.Succeeded(""));
    worker("worker_id: w1");

    oz.assign("w1", assignment("t1"));

    await().atMost(WAIT).until(() -> oz.framesAbout("t1", "task_completed").size() == 1);
    await()
        .atMost(WAIT)
        .until(() -> Boolean.TRUE.equals(agentTask("t1").getStatus().getReported()));
    List<String> marks =
        api.statusWrites().stream().filter(body -> body.contains("\"reported\":true")).toList();
    // One merge patch of that field alone: it cannot conflict with the controller's writes.
    assertThat(marks).containsExactly("{\"status\":{\"reported\":true}}");
    assertThat(agentTask("t1").getSpec().getTaskId()).isEqualTo("t1");
  }

  @Test
  void aTaskLeftWithoutItsSecretByAStoppedWorkerEndsFailedAndOzHearsOfIt() throws Exception {
    // What a worker stopped between the AgentTask and its Secret leaves: the task, signed, alone,
    // never claimed. It cannot run without its environment, and nothing waits for it.
    worker("worker_id: w1");
    ObjectNode frame = new ObjectMapper().createObjectNode().put("type", "task_assignment");
    frame.set("data", assignment("half", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));
    TaskAssignment decoded =
        (TaskAssignment) ((Decoded.Message) new OzCodec().decode(frame.toString())).message();
    TaskResources resources =
        new AssignmentMapping("w1", BackendKind.DIRECT)
            .toResources(decoded)
            .provenIn(namespace, IntakeProof.of(new ApiKey(API_KEY)));
    AgentTask stored = client.resource(resources.agentTask()).create();
    String name = stored.getMetadata().getName();

    await().atMost(WAIT).until(() -> oz.framesAbout("half", "task_failed").size() == 1);
    AgentTask failed = agentTask(name);
    assertThat(failed.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(failed.getStatus().getMessage())
        .contains("Secret " + name + "-env (spec.envFrom.secretName) was never stored");
    assertThat(backend.count("start", "half")).isZero();

    // Oz assigning it again gets the claim and the result again; nothing runs.
    oz.assign("w1", assignment("half", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));
    await().atMost(WAIT).until(() -> oz.framesAbout("half", "task_failed").size() == 2);
    assertThat(oz.framesAbout("half", "task_claimed")).hasSize(1);
    assertThat(backend.count("start", "half")).isZero();
  }

  @Test
  void aBurstOfAssignmentsIsStoredSixteenAtATime() {
    // The API server holds every AgentTask create until the test lets them through.
    AtomicInteger held = new AtomicInteger();
    CountDownLatch open = new CountDownLatch(1);
    Interceptor holdCreates =
        new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            if (request.method().equals("POST")
                && request.uri().getPath().endsWith("/agenttasks")) {
              held.incrementAndGet();
              try {
                open.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        };
    KubernetesClient slowApi =
        new KubernetesClientBuilder()
            .withConfig(client.getConfiguration())
            .withHttpClientFactory(new JdkHttpClientFactory())
            .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("hold", holdCreates))
            .build();
    started.add(slowApi);
    worker("worker_id: w1", slowApi);
    started.add(open::countDown); // closed first: no store is left waiting when the worker stops

    for (int i = 0; i < 40; i++) {
      oz.assign("w1", assignment("burst-" + i));
    }

    await().atMost(WAIT).until(() -> held.get() == 16);
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> held.get() == 16);
    open.countDown();
    for (int i = 0; i < 40; i++) {
      String id = "burst-" + i;
      await().atMost(WAIT).until(() -> oz.framesAbout(id, "task_claimed").size() == 1);
    }
    assertThat(held).hasValue(40);
  }

  @Test
  void aTaskThatCannotBeStoredIsRejectedAndLeavesNothingBehind() {
    workerWithoutRetries("worker_id: w1");
    api.failCreates("/agenttasks");

    oz.assign("w1", assignment("unstored", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

    await().atMost(WAIT).until(() -> oz.framesAbout("unstored", "task_rejected").size() == 1);
    assertThat(
            oz.framesAbout("unstored", "task_rejected").getFirst().data().path("reason").asText())
        .isEqualTo("worker could not store the task");
    assertThat(oz.framesAbout("unstored", "task_claimed")).isEmpty();
    assertThat(agentTask("unstored")).isNull();
    assertThat(secret("unstored")).as("the Secret made first is deleted again").isNull();

    api.failCreates(null);
    backend.ends("unstored", new TaskOutcome.Succeeded(""));
    oz.assign("w1", assignment("unstored", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));
    await().atMost(WAIT).until(() -> oz.framesAbout("unstored", "task_completed").size() == 1);
  }

  @Test
  void aSecretOfTheSameNameMadeForSomethingElseIsNeverUsed() {
    worker("worker_id: w1");
    client
        .secrets()
        .inNamespace(namespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("clash-env")
                .endMetadata()
                .addToStringData("GITHUB_ACCESS_TOKEN", "someone-else")
                .build())
        .create();

    oz.assign("w1", assignment("clash", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

    await().atMost(WAIT).until(() -> oz.framesAbout("clash", "task_rejected").size() == 1);
    assertThat(agentTask("clash")).isNull();
    assertThat(secret("clash").getStringData())
        .containsEntry("GITHUB_ACCESS_TOKEN", "someone-else");
  }

  @Test
  void aSecretLabelledAsTheIntakeLabelsButNotMadeByItIsNeverUsed() {
    worker("worker_id: w1");
    client
        .secrets()
        .inNamespace(namespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("lookalike-env")
                .addToLabels(AgentTaskKeys.TASK_ID_LABEL, "lookalike")
                .endMetadata()
                .addToStringData("HTTPS_PROXY", "http://someone-else:3128")
                .build())
        .create();

    oz.assign("w1", assignment("lookalike", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

    await().atMost(WAIT).until(() -> oz.framesAbout("lookalike", "task_rejected").size() == 1);
    assertThat(agentTask("lookalike")).isNull();
    assertThat(backend.count("start", "lookalike")).isZero();
  }

  @Test
  void anAgentTaskWrittenByHandUnderTheIntakesNameIsNotTakenForTheTask() {
    worker("worker_id: w1");
    AgentTask squatter = new AgentTask();
    squatter.getMetadata().setName("squat");
    squatter.setSpec(new AgentTaskSpec());
    squatter.getSpec().setTaskId("squat");
    squatter.getSpec().setPrompt("not what Oz asked");
    client.resources(AgentTask.class).inNamespace(namespace).resource(squatter).create();

    oz.assign("w1", assignment("squat", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

    await().atMost(WAIT).until(() -> oz.framesAbout("squat", "task_rejected").size() == 1);
    assertThat(oz.framesAbout("squat", "task_claimed")).isEmpty();
    assertThat(secret("squat")).as("the Secret made first is deleted again").isNull();
  }

  @Test
  void aTaskWrittenByHandWithAnOzTaskIdIsNeverReported() {
    backend.ends("victim", new TaskOutcome.Succeeded(""));
    backend.ends("from-oz", new TaskOutcome.Succeeded(""));
    worker("worker_id: w1");
    AgentTask forged = new AgentTask();
    forged.getMetadata().setName("forged");
    forged.setSpec(new AgentTaskSpec());
    forged.getSpec().setTaskId("victim");
    forged.getSpec().setPrompt("Say hello");
    client.resources(AgentTask.class).inNamespace(namespace).resource(forged).create();
    await().atMost(WAIT).until(() -> phase("forged") == AgentTaskPhase.Succeeded);

    oz.assign("w1", assignment("from-oz"));
    await().atMost(WAIT).until(() -> oz.framesAbout("from-oz", "task_completed").size() == 1);

    assertThat(oz.framesAbout("victim", "task_completed")).isEmpty();
    assertThat(oz.framesAbout("victim", "task_failed")).isEmpty();
    assertThat(agentTask("forged").getStatus().getReported()).isNotEqualTo(Boolean.TRUE);
  }

  @Test
  void aTaskAppliedByAUserRunsButIsNeverReported() {
    backend.ends("by-hand", new TaskOutcome.Succeeded(""));
    backend.ends("from-oz", new TaskOutcome.Succeeded(""));
    worker("worker_id: w1");
    AgentTask byHand = new AgentTask();
    byHand.getMetadata().setName("by-hand");
    byHand.setSpec(new AgentTaskSpec());
    byHand.getSpec().setTitle("written with kubectl");
    byHand.getSpec().setPrompt("Say hello");
    client.resources(AgentTask.class).inNamespace(namespace).resource(byHand).create();
    await().atMost(WAIT).until(() -> phase("by-hand") == AgentTaskPhase.Succeeded);

    oz.assign("w1", assignment("from-oz"));
    await().atMost(WAIT).until(() -> oz.framesAbout("from-oz", "task_completed").size() == 1);

    assertThat(oz.received())
        .extracting(Frame::type)
        .containsExactly("task_claimed", "task_completed");
    assertThat(agentTask("by-hand").getStatus().getReported()).isNotEqualTo(Boolean.TRUE);
  }

  @Test
  void aRepeatedAssignmentIsClaimedAgainButStoredAndRunOnce() {
    worker("worker_id: w1");
    oz.assign("w1", assignment("dup"));
    oz.assign("w1", assignment("dup"));

    await().atMost(WAIT).until(() -> oz.framesAbout("dup", "task_claimed").size() == 2);
    await().atMost(WAIT).until(() -> backend.isLive("dup"));
    oz.assign("w1", assignment("dup"));
    await().atMost(WAIT).until(() -> oz.framesAbout("dup", "task_claimed").size() == 3);

    assertThat(client.resources(AgentTask.class).inNamespace(namespace).list().getItems())
        .hasSize(1);
    assertThat(backend.count("start", "dup")).isEqualTo(1);
    backend.finish("dup", new TaskOutcome.Succeeded(""));
    await().atMost(WAIT).until(() -> oz.framesAbout("dup", "task_completed").size() == 1);
  }

  @Test
  void aFinishedTaskAssignedAgainIsClaimedAndItsResultSentAgainWithoutRunning() {
    backend.ends("again", new TaskOutcome.Succeeded(""));
    worker("worker_id: w1");
    oz.assign("w1", assignment("again"));
    await().atMost(WAIT).until(() -> oz.framesAbout("again", "task_completed").size() == 1);
    await()
        .atMost(WAIT)
        .until(() -> Boolean.TRUE.equals(agentTask("again").getStatus().getReported()));

    // as Oz does when the first result never reached it
    oz.assign("w1", assignment("again"));

    await().atMost(WAIT).until(() -> oz.framesAbout("again", "task_completed").size() == 2);
    assertThat(oz.framesAbout("again", "task_claimed")).hasSize(2);
    assertThat(backend.count("start", "again")).isEqualTo(1);
  }

  @Test
  void aCancellationFromOzStopsTheTaskAndIsReportedAsCancelled() {
    worker("worker_id: w1");
    oz.assign("w1", assignment("c1"));
    await().atMost(WAIT).until(() -> backend.isLive("c1"));

    oz.cancel("w1", "no-such-task");
    oz.cancel("w1", "c1");

    await().atMost(WAIT).until(() -> oz.framesAbout("c1", "task_completed").size() == 1);
    Frame cancelled = oz.framesAbout("c1", "task_completed").getFirst();
    assertThat(cancelled.data().path("task_state").asText()).isEqualTo("CANCELLED");
    assertThat(cancelled.data().path("message").asText())
        .isEqualTo("Task cancelled by user request.");
    assertThat(agentTask("c1").getSpec().getCancel()).isTrue();
    assertThat(oz.framesAbout("no-such-task", "task_completed")).isEmpty();
    assertThat(oz.isConnected("w1")).isTrue();
  }

  @Test
  void garbageFramesAreSkippedAndTheWorkerKeepsServing() {
    worker("worker_id: w1");
    await().atMost(WAIT).until(() -> oz.isConnected("w1"));

    oz.sendRaw("w1", "{not json");
    oz.sendRaw("w1", "[1,2,3]");
    oz.sendRaw("w1", "{\"type\":\"task_reassigned\",\"data\":{}}");
    oz.sendBinary("w1", new byte[] {0, 1, 2, (byte) 0xff});
    oz.sendRaw(
        "w1", "{\"type\":\"task_assignment\",\"data\":{\"pad\":\"" + "x".repeat(1 << 20) + "\"}}");
    oz.sendRaw("w1", "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"no-task\"}}");
    oz.sendRaw(
        "w1", "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"../etc\",\"task\":{}}}");
    oz.sendRaw("w1", "{\"type\":\"task_cancellation\",\"data\":{\"task_id\":7}}");
    oz.sendRaw(
        "w1",
        "{\"type\":\"task_assignment\",\"data\":" + "[".repeat(5000) + "]".repeat(5000) + "}");
    backend.ends("good", new TaskOutcome.Succeeded(""));
    oz.assign("w1", assignment("good"));

    await().atMost(WAIT).until(() -> oz.framesAbout("good", "task_completed").size() == 1);
    assertThat(oz.framesAbout("no-task", "task_rejected").getFirst().data().path("reason").asText())
        .isEqualTo("invalid assignment: data.task is missing");
    assertThat(
            oz.framesAbout("../etc", "task_failed")
                .getFirst()
                .data()
                .path("failure_reason")
                .asText())
        .as("an unsafe id can never be stored: claimed and failed, not offered again")
        .isEqualTo("workspace_setup");
    assertThat(client.resources(AgentTask.class).inNamespace(namespace).list().getItems())
        .extracting(task -> task.getSpec().getTaskId())
        .containsExactly("good");
    assertThat(oz.connections("w1")).isEqualTo(1);
  }

  @Test
  void aResultReachedWhileDisconnectedIsSentAfterTheReconnect() {
    WorkerRuntime worker = worker("worker_id: w1");
    oz.assign("w1", assignment("r1"));
    await().atMost(WAIT).until(() -> backend.isLive("r1"));

    oz.refuseConnections(true);
    oz.drop("w1");
    backend.finish(
        "r1",
        new TaskOutcome.Failed(
            new TaskFailure(
                FailureReason.AGENT_INVOCATION,
                2,
                "oz agent exited with error: exit status 2",
                null),
            ""));
    await()
        .atMost(WAIT)
        .until(() -> agentTask("r1").getStatus().getPhase() == AgentTaskPhase.Failed);
    assertThat(agentTask("r1").getStatus().getReported()).isNotEqualTo(Boolean.TRUE);
    await().atMost(WAIT).until(() -> worker.unreportedResults() == 1);
    await().atMost(WAIT).until(() -> oz.refusedHandshakes().size() >= 2);

    oz.refuseConnections(false);

    await().atMost(WAIT).until(() -> oz.framesAbout("r1", "task_failed").size() == 1);
    Frame failed = oz.framesAbout("r1", "task_failed").getFirst();
    assertThat(failed.data().path("failure_reason").asText()).isEqualTo("agent_invocation");
    assertThat(failed.data().path("exit_code").asInt()).isEqualTo(2);
    assertThat(failed.data().path("message").asText())
        .isEqualTo(ResultMessages.FAILED_PREFIX + "oz agent exited with error: exit status 2");
    await()
        .atMost(WAIT)
        .until(() -> Boolean.TRUE.equals(agentTask("r1").getStatus().getReported()));
    assertThat(oz.connections("w1")).isEqualTo(2);
    await().atMost(WAIT).until(() -> worker.unreportedResults() == 0);
  }

  @Test
  void aResultWhoseDeliveryCannotBeRecordedIsRecordedLaterAndSentOnce() {
    api.failUpdatesContaining("\"reported\":true");
    backend.ends("unrecorded", new TaskOutcome.Succeeded(""));
    try (LogCapture logs = LogCapture.start()) {
      workerWithoutRetries("worker_id: w1");

      oz.assign("w1", assignment("unrecorded"));
      await().atMost(WAIT).until(() -> oz.framesAbout("unrecorded", "task_completed").size() == 1);
      await()
          .atMost(WAIT)
          .until(() -> logs.text().contains("sent task_completed for unrecorded to Oz but cannot"));
      assertThat(agentTask("unrecorded").getStatus().getReported()).isNotEqualTo(Boolean.TRUE);
    }

    api.failUpdatesContaining(null);

    await()
        .atMost(WAIT)
        .until(() -> Boolean.TRUE.equals(agentTask("unrecorded").getStatus().getReported()));
    oz.assign("w1", assignment("marker"));
    await().atMost(WAIT).until(() -> oz.framesAbout("marker", "task_claimed").size() == 1);
    assertThat(oz.framesAbout("unrecorded", "task_completed")).hasSize(1);
  }

  @Test
  void aResultUnreportedWhenTheWorkerStoppedIsSentOnceByTheNextWorkerProcess() throws Exception {
    WorkerRuntime first = worker("worker_id: w1");
    oz.assign("w1", assignment("later"));
    await().atMost(WAIT).until(() -> backend.isLive("later"));
    oz.refuseConnections(true);
    oz.drop("w1");
    backend.finish("later", new TaskOutcome.Succeeded(""));
    await()
        .atMost(WAIT)
        .until(() -> agentTask("later").getStatus().getPhase() == AgentTaskPhase.Succeeded);
    first.close();
    started.remove(first);
    backend.loseListeners();

    oz.refuseConnections(false);
    worker("worker_id: w1");

    await()
        .atMost(WAIT)
        .until(() -> Boolean.TRUE.equals(agentTask("later").getStatus().getReported()));
    oz.assign("w1", assignment("marker"));
    await().atMost(WAIT).until(() -> oz.framesAbout("marker", "task_claimed").size() == 1);
    oz.drop("w1");
    await().atMost(WAIT).until(() -> oz.connections("w1") == 3 && oz.isConnected("w1"));
    oz.assign("w1", assignment("marker2"));
    await().atMost(WAIT).until(() -> oz.framesAbout("marker2", "task_claimed").size() == 1);
    assertThat(oz.framesAbout("later", "task_completed")).hasSize(1);
  }

  @Test
  void aSecretFromEnvVarsReachesNoFrameLogLineAgentTaskOrEvent() {
    try (LogCapture logs = LogCapture.start()) {
      backend.ends(
          "s1",
          new TaskOutcome.Failed(
              new TaskFailure(FailureReason.AGENT_INVOCATION, 1, "agent printed " + SECRET, null),
              "token=" + SECRET + "\n"));
      worker("worker_id: w1");

      oz.assign("w1", assignment("s1", Map.of("GITHUB_ACCESS_TOKEN", SECRET)));

      await().atMost(WAIT).until(() -> oz.framesAbout("s1", "task_failed").size() == 1);
      await()
          .atMost(WAIT)
          .until(() -> Boolean.TRUE.equals(agentTask("s1").getStatus().getReported()));
      assertThat(oz.framesAbout("s1", "task_failed").getFirst().text()).contains("[REDACTED]");
      assertThat(oz.received()).extracting(Frame::text).noneMatch(text -> text.contains(SECRET));
      assertThat(json(agentTask("s1"))).doesNotContain(SECRET);
      assertThat(json(client.v1().events().inNamespace(namespace).list())).doesNotContain(SECRET);
      assertThat(logs.text()).contains("s1").doesNotContain(SECRET).doesNotContain(API_KEY);
      String stored = secret("s1").getData().get("GITHUB_ACCESS_TOKEN");
      assertThat(new String(java.util.Base64.getDecoder().decode(stored), StandardCharsets.UTF_8))
          .isEqualTo(SECRET);
    }
  }

  @Test
  void aSilentConnectionIsDroppedAndDialledAgain() {
    worker("worker_id: w1");
    await().atMost(WAIT).until(() -> oz.isConnected("w1"));

    oz.goSilent(true);

    await().atMost(WAIT).until(() -> oz.connections("w1") >= 2);
    oz.goSilent(false);
    backend.ends("after", new TaskOutcome.Succeeded(""));
    await().atMost(WAIT).until(() -> oz.isConnected("w1"));
    oz.assign("w1", assignment("after"));
    await().atMost(WAIT).until(() -> oz.framesAbout("after", "task_completed").size() == 1);
  }

  @Test
  void aResultIsRecordedAsReportedOnlyOnceOzHasReadIt() {
    worker("worker_id: w1");
    await().atMost(WAIT).until(() -> oz.isConnected("w1"));
    backend.ends("unread", new TaskOutcome.Succeeded(""));
    // Pongs prove the server read what came before them; a silent server proves nothing.
    oz.goSilent(true);

    oz.assign("w1", assignment("unread"));

    await().atMost(WAIT).until(() -> oz.framesAbout("unread", "task_completed").size() == 1);
    await().atMost(WAIT).until(() -> oz.connections("w1") >= 2);
    assertThat(agentTask("unread").getStatus().getReported()).isNotEqualTo(Boolean.TRUE);
    oz.goSilent(false);
    await()
        .atMost(WAIT)
        .until(() -> Boolean.TRUE.equals(agentTask("unread").getStatus().getReported()));
    assertThat(oz.framesAbout("unread", "task_completed")).hasSizeGreaterThanOrEqualTo(2);
  }

  WorkerRuntime worker(String yaml) {
    return worker(yaml, api.client());
  }

  /** A worker whose writes that fail are not retried by the client: failures show at once. */
  WorkerRuntime workerWithoutRetries(String yaml) {
    return worker(yaml, api.clientWithoutRetries());
  }

  WorkerRuntime worker(String yaml, KubernetesClient workerClient) {
    WorkerConfig config;
    try {
      config =
          WorkerConfigs.resolve(
              yaml,
              Map.of("WARP_API_KEY", API_KEY),
              "--backend",
              "direct",
              "--web-socket-url",
              oz.webSocketUrl().toString());
    } catch (ConfigException e) {
      throw new IllegalStateException(e);
    }
    WorkerRuntime runtime =
        WorkerRuntime.start(workerClient, config, List.of(backend), Clock.systemUTC(), false, FAST);
    started.add(runtime);
    namespace = runtime.namespace();
    await().atMost(WAIT).until(() -> oz.isConnected(config.workerId()));
    return runtime;
  }

  AgentTask agentTask(String name) {
    return client.resources(AgentTask.class).inNamespace(namespace).withName(name).get();
  }

  AgentTaskPhase phase(String name) {
    AgentTask task = agentTask(name);
    return task == null || task.getStatus() == null ? null : task.getStatus().getPhase();
  }

  Secret secret(String taskName) {
    return client.secrets().inNamespace(namespace).withName(taskName + "-env").get();
  }

  static String json(Object value) {
    try {
      return new ObjectMapper().writeValueAsString(value);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
