package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.BackendRef;
import dev.ozworker.api.EnvSource;
import dev.ozworker.api.FailureReason;
import dev.ozworker.api.SidecarMount;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.ApiKey;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.intake.AssignmentMapping;
import dev.ozworker.intake.TaskResources;
import dev.ozworker.observe.Redactor;
import dev.ozworker.oz.OzFrames;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller as the worker runs it, a java-operator-sdk operator on an in-process API server
 * (fabric8 mock, CRUD mode, with optimistic concurrency), with a scripted backend on the real
 * clock: phases, conditions, Events, cancellation in every phase, deletion, restarts, adoption,
 * replicas racing, capacity, a reconcile the reconciler scheduled (a missing Secret), and secrets
 * kept out of the status. What depends on time alone (timeouts, TTLs, retries) is decided one
 * reconcile at a time on a clock the test moves: see {@link ReconcileTimingTest}, {@link
 * ReconcileRulesTest} and {@link ReconcileCapacityTest}.
 */
class AgentTaskControllerTest {
  static final Duration WAIT = Duration.ofSeconds(20);

  MockApi api;
  KubernetesClient client;
  ScriptedBackend backend;
  final List<AutoCloseable> started = new ArrayList<>();

  @BeforeEach
  void startApiServer() {
    api = MockApi.start();
    client = api.client();
    backend = new ScriptedBackend();
  }

  @AfterEach
  void stopAll() throws Exception {
    for (AutoCloseable closeable : started.reversed()) {
      closeable.close();
    }
    backend.close();
    api.close();
  }

  @Test
  void runsAUserTaskToSucceededWithConditionsEventsAndOneTeardown() {
    backend.ends("hello", new TaskOutcome.Succeeded("hello from the agent\n"));
    controller("worker_id: w1");

    create(userTask("hello"));

    AgentTask done = awaitTornDown("hello");
    AgentTaskStatus status = done.getStatus();
    assertThat(status.getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(done.getMetadata().getLabels()).containsEntry(AgentTaskKeys.WORKER_ID_LABEL, "w1");
    assertThat(done.getMetadata().getFinalizers()).contains(AgentTaskKeys.FINALIZER);
    assertThat(status.getWorkerId()).isEqualTo("w1");
    assertThat(status.getExitCode()).isZero();
    assertThat(status.getFailureReason()).isNull();
    assertThat(status.getLogTail()).isEqualTo("hello from the agent\n");
    assertThat(status.getObservedGeneration()).isEqualTo(done.getMetadata().getGeneration());
    assertThat(status.getStartedAt()).isNotBlank();
    assertThat(status.getFinishedAt()).isNotBlank();
    assertThat(status.getBackendRef().runId()).isEqualTo("hello");
    assertThat(status.getBackendRef().processId()).isEqualTo(4242L);
    assertThat(conditions(done))
        .containsEntry("Accepted", "True/Assigned")
        .containsEntry("Started", "True/AgentRunning")
        .containsEntry("Completed", "True/Succeeded")
        .containsEntry("TornDown", "True/CleanedUp");
    assertThat(backend.count("start", "hello")).isEqualTo(1);
    assertThat(backend.count("cleanup", "hello")).isEqualTo(1);
    assertThat(backend.count("cancel")).isZero();
    assertThat(backend.spec("hello").ozArgs()).contains("--prompt", "Say hello");
    await().atMost(WAIT).untilAsserted(() -> assertThat(eventReasons("hello")).contains("Claimed"));
    // A task on its usual way writes no Event for it: its conditions show that way.
    assertThat(eventReasons("hello")).containsExactly("Claimed");
  }

  @Test
  void watchEventsOfAgentTasksAreReadAsAgentTasksAtOnce() throws Exception {
    KubernetesClient workerClient = api.client();
    started.add(
        AgentTaskController.start(
            workerClient,
            WorkerConfigs.resolve(
                "worker_id: w1\nbackend:\n  direct: {}\n", Map.of("WARP_API_KEY", "wk_worker")),
            List.of(backend),
            Clock.systemUTC(),
            false));

    // fabric8 reads an event's object as the class registered for its kind; unregistered, as a
    // generic resource that every informer then converts again.
    io.fabric8.kubernetes.api.model.WatchEvent event =
        workerClient
            .getKubernetesSerialization()
            .unmarshal(
                "{\"type\":\"MODIFIED\",\"object\":{\"apiVersion\":\"ozworker.dev/v1alpha1\","
                    + "\"kind\":\"AgentTask\",\"metadata\":{\"name\":\"t\"}}}",
                io.fabric8.kubernetes.api.model.WatchEvent.class);

    assertThat(event.getObject()).isInstanceOf(AgentTask.class);
  }

  @Test
  void aStatusWriteSendsTheNameAndTheStatusAndLeavesTheSpecAsItWas() {
    backend.ends("slim", new TaskOutcome.Succeeded(""));
    controller("worker_id: w1");

    create(userTask("slim"));

    AgentTask done = awaitTornDown("slim");
    assertThat(done.getSpec().getPrompt()).isEqualTo("Say hello");
    List<String> writes = api.statusWrites();
    assertThat(writes).hasSizeGreaterThanOrEqualTo(2); // Preparing before the start, then the end
    assertThat(writes)
        .allSatisfy(
            body -> {
              assertThat(body).contains("\"name\":\"slim\"", "\"status\":");
              assertThat(body).doesNotContain("\"spec\"", "Say hello", "finalizers", "labels");
            });
  }

  @Test
  void aFailedAgentLeavesItsExitCodeReasonAndAWarning() {
    backend.ends(
        "broken",
        new TaskOutcome.Failed(
            new TaskFailure(
                FailureReason.AGENT_INVOCATION,
                2,
                "oz agent exited with error: exit status 2",
                null),
            "panic: no luck\n"));
    controller("worker_id: w1");

    create(userTask("broken"));

    AgentTaskStatus status = awaitTornDown("broken").getStatus();
    assertThat(status.getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(status.getExitCode()).isEqualTo(2);
    assertThat(status.getFailureReason()).isEqualTo(FailureReason.AGENT_INVOCATION);
    assertThat(status.getMessage()).isEqualTo("oz agent exited with error: exit status 2");
    assertThat(status.getLogTail()).isEqualTo("panic: no luck\n");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(events("broken"))
                    .anySatisfy(
                        e -> {
                          assertThat(e.getType()).isEqualTo("Warning");
                          assertThat(e.getReason()).isEqualTo("Failed");
                          assertThat(e.getMessage()).contains("exit status 2");
                        }));
  }

  @Test
  void aBackendThatRefusesTheTaskFailsItAndStillCleansUp() {
    backend.script("refused", ScriptedBackend.Script.REFUSE);
    controller("worker_id: w1");

    create(userTask("refused"));

    AgentTaskStatus status = awaitTornDown("refused").getStatus();
    assertThat(status.getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(status.getFailureReason()).isEqualTo(FailureReason.WORKSPACE_SETUP);
    assertThat(backend.count("cleanup", "refused")).isEqualTo(1);
  }

  @Test
  void aFailedTeardownIsRecordedWithoutChangingTheTasksResult() {
    backend.ends("messy", new TaskOutcome.Succeeded("ok"));
    backend
        .holdTeardown("messy")
        .complete(
            Optional.of(
                new TaskFailure(
                    FailureReason.TEARDOWN_COMMAND, 2, "teardown_command exited 2", null)));
    controller("worker_id: w1");

    create(userTask("messy"));

    AgentTask task = awaitTornDown("messy");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(task.getStatus().getFailureReason()).isNull();
    assertThat(conditions(task)).containsEntry("TornDown", "False/TeardownFailed");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(events("messy"))
                    .anySatisfy(
                        e -> {
                          assertThat(e.getType()).isEqualTo("Warning");
                          assertThat(e.getReason()).isEqualTo("TeardownFailed");
                          assertThat(e.getMessage())
                              .isEqualTo("teardown failed: teardown_command exited 2");
                        }));
  }

  @Test
  void theReportedFlagSurvivesTheControllersLaterWrites() {
    backend.ends("reported", new TaskOutcome.Succeeded(""));
    var teardown = backend.holdTeardown("reported");
    controller("worker_id: w1");
    create(userTask("reported"));
    awaitPhase("reported", AgentTaskPhase.Succeeded);

    AgentTask finished = get("reported");
    finished.getStatus().setReported(true);
    client.resource(finished).inNamespace(namespace()).updateStatus();
    teardown.complete(Optional.empty());

    AgentTask task = awaitTornDown("reported");
    assertThat(task.getStatus().getReported()).isTrue();
  }

  @Test
  void aFailingReconcileShowsOnTheTaskThroughTheOperatorAndClearsOnceItSucceeds() throws Exception {
    WorkerConfig config =
        WorkerConfigs.resolve(
            "worker_id: w1\nbackend:\n  direct: {}\n", Map.of("WARP_API_KEY", "wk_worker"));
    // A client that gives up on a refused write at once, so the reconcile fails without waiting.
    started.add(
        AgentTaskController.start(
            api.clientWithoutRetries(), config, List.of(backend), Clock.systemUTC(), false));
    api.failUpdatesContaining("Preparing");

    create(userTask("patient"));

    await()
        .atMost(WAIT)
        .until(
            () -> conditions(get("patient")).get("ReconcileError"), "True/ReconcileFailed"::equals);
    assertThat(phase("patient")).isNull();
    assertThat(backend.count("start")).isZero();
    api.failUpdatesContaining(null);
    awaitPhase("patient", AgentTaskPhase.Running);
    await()
        .atMost(WAIT)
        .until(() -> conditions(get("patient")).get("ReconcileError"), "False/Reconciled"::equals);
    assertThat(eventReasons("patient")).containsOnlyOnce("ReconcileFailed");
  }

  @Test
  void aTaskThatCannotRunFailsNamingTheFieldWithoutReachingTheBackend() {
    controller("worker_id: w1");

    create(userTask("no-prompt", spec -> spec.setPrompt(null)));

    AgentTask task = awaitPhase("no-prompt", AgentTaskPhase.Failed);
    assertThat(task.getStatus().getMessage()).contains("spec.prompt");
    assertThat(conditions(task)).containsEntry("Accepted", "False/InvalidSpec");
    assertThat(backend.calls()).isEmpty();
  }

  @Test
  void aTaskWithTwoSidecarsAtOnePathFailsAsSidecarPrepWithoutReachingTheBackend() {
    controller("worker_id: w1");

    create(
        userTask(
            "two-at-one",
            spec ->
                spec.setAdditionalSidecars(
                    List.of(
                        new SidecarMount("tools:1", "/mnt/t", false),
                        new SidecarMount("tools:2", "/mnt/t", false)))));

    AgentTask task = awaitPhase("two-at-one", AgentTaskPhase.Failed);
    assertThat(task.getStatus().getFailureReason()).isEqualTo(FailureReason.SIDECAR_PREP);
    assertThat(task.getStatus().getMessage()).contains("two sidecars mount at /mnt/t");
    assertThat(backend.calls()).isEmpty();
  }

  @Test
  void aTaskForABackendThisWorkerDoesNotRunFailsNamingTheField() {
    controller("worker_id: w1");

    create(userTask("wrong-backend", spec -> spec.setBackend("docker")));

    AgentTask task = awaitPhase("wrong-backend", AgentTaskPhase.Failed);
    assertThat(task.getStatus().getMessage())
        .contains("spec.backend is \"docker\"", "runs the direct backend");
    assertThat(backend.calls()).isEmpty();
  }

  @Test
  void whereTheBackendSaysTheRunLivesReachesTheStatusAndTheRestartedWorker() {
    backend.locatingLater();
    AutoCloseable first = controller("worker_id: w1");
    create(userTask("spawned"));

    awaitPhase("spawned", AgentTaskPhase.Running);
    await()
        .atMost(WAIT)
        .until(() -> get("spawned").getStatus().getBackendRef().processId() != null);
    assertThat(get("spawned").getStatus().getBackendRef())
        .isEqualTo(new BackendRef("direct", "spawned", null, 4242L, "/workspaces/spawned", null));

    restart(first);
    controller("worker_id: w1");
    await().atMost(WAIT).until(() -> backend.count("reattach", "spawned") == 1);
    assertThat(backend.reattachedWith("spawned").processId()).isEqualTo(4242L);
    backend.finish("spawned", new TaskOutcome.Succeeded(""));

    assertThat(awaitTornDown("spawned").getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(backend.count("start", "spawned")).isEqualTo(1);
  }

  @Test
  void aMissingSecretKeepsTheTaskPendingUntilItAppears() {
    controller("worker_id: w1");
    create(userTask("needs-env", spec -> spec.setEnvFrom(new EnvSource("late-env"))));

    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(conditions(get("needs-env")))
                    .containsEntry("Accepted", "False/SecretNotFound"));
    assertThat(get("needs-env").getStatus().getMessage()).contains("late-env", "spec.envFrom");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(eventReasons("needs-env")).containsOnlyOnce("SecretNotFound"));
    client
        .secrets()
        .inNamespace(namespace())
        .resource(sharedSecret("late-env", "TOKEN", "t"))
        .create();

    awaitPhase("needs-env", AgentTaskPhase.Running);
    assertThat(backend.spec("needs-env").env().asMap()).containsEntry("TOKEN", "t");
  }

  @Test
  void cancellingAQueuedTaskNeverStartsIt() {
    AgentTaskController full =
        (AgentTaskController) controller("worker_id: w1\nmax_concurrent_tasks: 1");
    create(userTask("busy"));
    awaitPhase("busy", AgentTaskPhase.Running);
    create(userTask("waiting"));
    await().atMost(WAIT).until(() -> full.queuedTasks() == 1);

    setCancel("waiting");

    awaitPhase("waiting", AgentTaskPhase.Cancelled);
    backend.finish("busy", new TaskOutcome.Succeeded(""));
    awaitTornDown("busy");
    assertThat(backend.count("start", "waiting")).isZero();
    assertThat(backend.count("cleanup", "waiting")).isZero();
  }

  @Test
  void cancellingWhilePreparingStopsTheRunAndTearsDownOnce() {
    backend.script("slow", ScriptedBackend.Script.PREPARE);
    controller("worker_id: w1\ncancel_grace_period: 7s");
    create(userTask("slow"));
    awaitPhase("slow", AgentTaskPhase.Preparing);
    assertThat(conditions(get("slow"))).containsEntry("Started", "False/Preparing");

    setCancel("slow");

    AgentTask task = awaitTornDown("slow");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Cancelled);
    assertThat(task.getStatus().getMessage()).contains("spec.cancel");
    assertThat(backend.count("cancel", "slow")).isEqualTo(1);
    assertThat(backend.count("cleanup", "slow")).isEqualTo(1);
    assertThat(backend.graces()).containsExactly(Duration.ofSeconds(7));
  }

  @Test
  void cancellingWhileRunningEndsCancelledWithOneTeardown() {
    controller("worker_id: w1");
    create(userTask("long"));
    awaitPhase("long", AgentTaskPhase.Running);

    setCancel("long");

    AgentTask task = awaitTornDown("long");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Cancelled);
    assertThat(task.getStatus().getLogTail()).isEqualTo("terminated");
    assertThat(conditions(task)).containsEntry("Completed", "True/Cancelled");
    assertThat(task.getMetadata().getGeneration()).as("spec.cancel changed the spec").isEqualTo(2);
    assertThat(task.getStatus().getObservedGeneration()).isEqualTo(2);
    assertThat(backend.count("cancel", "long")).isEqualTo(1);
    assertThat(backend.count("cleanup", "long")).isEqualTo(1);
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(eventReasons("long")).contains("Cancelled"));
  }

  @Test
  void deletingARunningTaskStopsItAndWaitsForTeardown() {
    controller("worker_id: w1");
    create(userTask("doomed"));
    awaitPhase("doomed", AgentTaskPhase.Running);
    var teardown = backend.holdTeardown("doomed");

    client.resources(AgentTask.class).inNamespace(namespace()).withName("doomed").delete();

    await().atMost(WAIT).until(() -> backend.count("cleanup", "doomed") == 1);
    assertThat(backend.count("cancel", "doomed")).isEqualTo(1);
    AgentTask stillThere = get("doomed");
    assertThat(stillThere).as("held by the finalizer until teardown ends").isNotNull();
    assertThat(stillThere.getMetadata().getDeletionTimestamp()).isNotNull();

    teardown.complete(Optional.empty());

    await().atMost(WAIT).until(() -> get("doomed") == null);
    assertThat(backend.count("cleanup", "doomed")).isEqualTo(1);
  }

  @Test
  void deletingAPreparingTaskStopsItAndTearsDownOnce() {
    backend.script("prep", ScriptedBackend.Script.PREPARE);
    controller("worker_id: w1");
    create(userTask("prep"));
    awaitPhase("prep", AgentTaskPhase.Preparing);

    client.resources(AgentTask.class).inNamespace(namespace()).withName("prep").delete();

    await().atMost(WAIT).until(() -> get("prep") == null);
    assertThat(backend.count("cancel", "prep")).isEqualTo(1);
    assertThat(backend.count("cleanup", "prep")).isEqualTo(1);
  }

  @Test
  void deletingAQueuedTaskLeavesTheBackendAlone() {
    AgentTaskController full =
        (AgentTaskController) controller("worker_id: w1\nmax_concurrent_tasks: 1");
    create(userTask("first"));
    awaitPhase("first", AgentTaskPhase.Running);
    create(userTask("second"));
    await().atMost(WAIT).until(() -> full.queuedTasks() == 1);

    client.resources(AgentTask.class).inNamespace(namespace()).withName("second").delete();

    await().atMost(WAIT).until(() -> get("second") == null);
    assertThat(backend.count("start", "second")).isZero();
    assertThat(backend.count("cleanup", "second")).isZero();
  }

  @Test
  void aRestartedWorkerReattachesItsRunningTask() {
    AutoCloseable first = controller("worker_id: w1");
    create(userTask("survivor"));
    awaitPhase("survivor", AgentTaskPhase.Running);

    restart(first);
    controller("worker_id: w1");

    await().atMost(WAIT).until(() -> backend.count("reattach", "survivor") == 1);
    backend.finish("survivor", new TaskOutcome.Succeeded("done after the restart"));
    AgentTask task = awaitTornDown("survivor");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(task.getStatus().getLogTail()).isEqualTo("done after the restart");
    assertThat(backend.count("start", "survivor")).isEqualTo(1);
    assertThat(backend.count("cleanup", "survivor")).isEqualTo(1);
  }

  @Test
  void aWorkerStoppedBeforeItsTaskOwnedTheSecretLeavesTheOwningToItsSuccessor() throws Exception {
    TaskResources resources =
        new AssignmentMapping("w1", BackendKind.DIRECT)
            .toResources(OzFrames.referenceAssignment())
            .provenIn(namespace(), IntakeProof.of(new ApiKey("wk_worker")));
    String runId = resources.agentTask().getSpec().getTaskId();
    String secretName = resources.envSecret().orElseThrow().getMetadata().getName();
    AutoCloseable first = controller("worker_id: w1");
    client.resource(resources.envSecret().orElseThrow()).inNamespace(namespace()).create();
    AgentTask created = client.resource(resources.agentTask()).inNamespace(namespace()).create();
    awaitPhase(created.getMetadata().getName(), AgentTaskPhase.Running);
    restart(first);
    // As if the first worker had stopped between starting the run and owning the Secret.
    client
        .secrets()
        .inNamespace(namespace())
        .withName(secretName)
        .edit(
            secret ->
                new SecretBuilder(secret)
                    .editMetadata()
                    .withOwnerReferences()
                    .endMetadata()
                    .build());

    controller("worker_id: w1");

    await().atMost(WAIT).until(() -> backend.count("reattach", runId) == 1);
    assertThat(
            await()
                .atMost(WAIT)
                .until(
                    () ->
                        client
                            .secrets()
                            .inNamespace(namespace())
                            .withName(secretName)
                            .get()
                            .getMetadata()
                            .getOwnerReferences(),
                    owners -> !owners.isEmpty()))
        .singleElement()
        .satisfies(owner -> assertThat(owner.getUid()).isEqualTo(created.getMetadata().getUid()));
    assertThat(backend.count("start", runId)).isEqualTo(1);
  }

  @Test
  void aRunThatEndedWhileTheWorkerWasDownIsRecordedAfterTheRestart() {
    AutoCloseable first = controller("worker_id: w1");
    create(userTask("quick"));
    awaitPhase("quick", AgentTaskPhase.Running);

    restart(first);
    backend.finish(
        "quick",
        new TaskOutcome.Failed(
            new TaskFailure(
                FailureReason.AGENT_INVOCATION,
                3,
                "oz agent exited with error: exit status 3",
                null),
            ""));
    await().atMost(WAIT).until(() -> !backend.isLive("quick"));
    controller("worker_id: w1");

    AgentTask task = awaitTornDown("quick");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(task.getStatus().getExitCode()).isEqualTo(3);
    assertThat(backend.count("start", "quick")).isEqualTo(1);
  }

  @Test
  void aRunThatCannotBeFoundAfterARestartFailsWithAClearReason() {
    ScriptedBackend forgetful = new ScriptedBackend();
    started.add(forgetful);
    AutoCloseable first = controller("worker_id: w1", forgetful);
    create(userTask("lost"));
    awaitPhase("lost", AgentTaskPhase.Running);
    restart(first);

    controller("worker_id: w1");

    AgentTask task = awaitTornDown("lost");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(task.getStatus().getFailureReason()).isEqualTo(FailureReason.UNKNOWN);
    assertThat(task.getStatus().getMessage()).contains("restarted", "lost");
    assertThat(backend.count("reattach", "lost")).isEqualTo(1);
    assertThat(backend.count("cleanup", "lost")).isEqualTo(1);
  }

  @Test
  void theRunOfAReplicaWhosePodIsGoneIsAdoptedByAnotherAndFollowedToItsEnd() {
    backend.outlivingTheWorker();
    AutoCloseable first = replicaInPod("pool-a", backend);
    create(userTask("adopted"));
    awaitPhase("adopted", AgentTaskPhase.Running);
    restart(first);

    replicaInPod("pool-b", backend);

    await().atMost(WAIT).until(() -> backend.count("reattach", "adopted") == 1);
    backend.finish("adopted", new TaskOutcome.Succeeded("finished under its new owner"));
    AgentTask task = awaitTornDown("adopted");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(task.getStatus().getWorkerId()).isEqualTo("pool-b");
    assertThat(task.getStatus().getPodName()).isEqualTo("pool-b");
    assertThat(task.getMetadata().getLabels())
        .containsEntry(AgentTaskKeys.WORKER_ID_LABEL, "pool-b");
    assertThat(backend.count("start", "adopted")).isEqualTo(1);
    assertThat(backend.count("cleanup", "adopted")).isEqualTo(1);
  }

  @Test
  void aProcessRunOfAVanishedPodIsAdoptedAndEndsFailedSayingItWasLostWithItsPod() {
    ScriptedBackend vanished = new ScriptedBackend();
    started.add(vanished);
    AutoCloseable first = replicaInPod("pool-a", vanished);
    create(userTask("died-with-its-pod"));
    awaitPhase("died-with-its-pod", AgentTaskPhase.Running);
    restart(first);

    replicaInPod("pool-b", backend);

    AgentTask task = awaitTornDown("died-with-its-pod");
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    // An interruption of the infrastructure: Oz is told the task may be tried again.
    assertThat(task.getStatus().getFailureReason()).isEqualTo(FailureReason.GRACEFUL_SHUTDOWN);
    assertThat(task.getStatus().getMessage())
        .contains("lost with its pod", "running", "pod pool-a", "not started again")
        .doesNotContain("workspace");
    assertThat(task.getStatus().getWorkerId()).isEqualTo("pool-b");
    // Nothing of a process run can be found from another pod: no reattach, no second start.
    assertThat(backend.count("reattach", "died-with-its-pod")).isZero();
    assertThat(backend.count("start", "died-with-its-pod")).isZero();
    assertThat(vanished.count("start", "died-with-its-pod")).isEqualTo(1);
    assertThat(backend.count("cleanup", "died-with-its-pod")).isEqualTo(1);
  }

  @Test
  void twoReplicasRacingForUnclaimedTasksRunEachExactlyOnce() {
    ScriptedBackend other = new ScriptedBackend();
    started.add(other);
    controller("worker_id: w1");
    controller("worker_id: w2", other);
    List<String> names = IntStream.range(0, 12).mapToObj(i -> "race-" + i).toList();

    names.parallelStream().forEach(name -> create(userTask(name)));

    for (String name : names) {
      AgentTask task = awaitPhase(name, AgentTaskPhase.Running);
      String owner = task.getMetadata().getLabels().get(AgentTaskKeys.WORKER_ID_LABEL);
      assertThat(owner).isIn("w1", "w2");
      assertThat(task.getStatus().getWorkerId()).isEqualTo(owner);
      assertThat(backend.count("start", name) + other.count("start", name))
          .as("starts of %s across both replicas", name)
          .isEqualTo(1);
      assertThat((owner.equals("w1") ? backend : other).count("start", name)).isEqualTo(1);
    }
  }

  @Test
  void aFullReplicaWritesNothingOnATaskItHasNotClaimedAndAFreeOneTakesIt() {
    AgentTaskController full =
        (AgentTaskController) controller("worker_id: w2\nmax_concurrent_tasks: 1");
    create(assignedTo("w2", userTask("busy")));
    awaitPhase("busy", AgentTaskPhase.Running);

    create(userTask("unclaimed"));

    await().atMost(WAIT).until(() -> full.queuedTasks() == 1);
    assertThat(get("unclaimed").getStatus()).as("status of a task nobody owns").isNull();
    assertThat(api.statusWrites()).noneMatch(body -> body.contains("\"name\":\"unclaimed\""));

    controller("worker_id: w1");
    AgentTask task = awaitPhase("unclaimed", AgentTaskPhase.Running);
    assertThat(task.getMetadata().getLabels()).containsEntry(AgentTaskKeys.WORKER_ID_LABEL, "w1");
    assertThat(api.statusWrites())
        .filteredOn(body -> body.contains("\"name\":\"unclaimed\""))
        .allSatisfy(body -> assertThat(body).contains("\"workerId\":\"w1\""));
  }

  @Test
  void overCapacityTasksQueueAndStartAsSlotsFree() {
    controller("worker_id: w1\nmax_concurrent_tasks: 2");
    List<String> names = List.of("q-0", "q-1", "q-2", "q-3");
    names.forEach(name -> create(assignedTo("w1", userTask(name))));

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(names.stream().filter(n -> phase(n) == AgentTaskPhase.Running)).hasSize(2);
              assertThat(names.stream().filter(n -> queued(n))).hasSize(2);
            });
    String waiting = names.stream().filter(this::queued).findFirst().orElseThrow();
    assertThat(get(waiting).getStatus().getMessage())
        .isEqualTo("queued: 2/2 tasks running on worker w1");
    assertThat(get(waiting).getStatus().getPhase()).isEqualTo(AgentTaskPhase.Pending);
    await().atMost(WAIT).untilAsserted(() -> assertThat(eventReasons(waiting)).contains("Queued"));

    for (int round = 0; round < names.size(); round++) {
      String running =
          await()
              .atMost(WAIT)
              .until(
                  () -> names.stream().filter(n -> phase(n) == AgentTaskPhase.Running).findFirst(),
                  Optional::isPresent)
              .orElseThrow();
      backend.finish(running, new TaskOutcome.Succeeded(""));
      awaitTornDown(running);
    }

    names.forEach(name -> assertThat(phase(name)).isEqualTo(AgentTaskPhase.Succeeded));
    assertThat(backend.mostRunningAtOnce()).isEqualTo(2);
    assertThat(get(waiting).getStatus().getConditions())
        .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Queued=False"));
  }

  @Test
  void secretValuesNeverReachTheAgentTaskOrItsEvents() throws Exception {
    TaskResources resources =
        new AssignmentMapping("w1", BackendKind.DIRECT)
            .toResources(OzFrames.referenceAssignment())
            .provenIn(namespace(), IntakeProof.of(new ApiKey("wk_worker")));
    String runId = resources.agentTask().getSpec().getTaskId();
    List<String> secrets = List.of("ghs_secret", "wk_secret");
    backend.ends(
        runId,
        new TaskOutcome.Failed(
            new TaskFailure(
                FailureReason.AGENT_INVOCATION, 1, "agent died holding ghs_secret", null),
            "export GITHUB_ACCESS_TOKEN=ghs_secret\nWARP_API_KEY=wk_secret\n"));
    controller("worker_id: w1");

    client.resource(resources.envSecret().orElseThrow()).inNamespace(namespace()).create();
    AgentTask created = client.resource(resources.agentTask()).inNamespace(namespace()).create();

    AgentTask task = awaitTornDown(created.getMetadata().getName());
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(backend.spec(runId).env().asMap())
        .as("the backend got the values")
        .containsEntry("GITHUB_ACCESS_TOKEN", "ghs_secret");
    assertThat(task.getStatus().getLogTail())
        .isEqualTo(
            "export GITHUB_ACCESS_TOKEN="
                + Redactor.MASK
                + "\nWARP_API_KEY="
                + Redactor.MASK
                + "\n");
    String stored = Serialization.asJson(task);
    List<Event> events =
        await().atMost(WAIT).until(() -> events(task.getMetadata().getName()), e -> !e.isEmpty());
    String allEvents = Serialization.asJson(events);
    for (String secret : secrets) {
      assertThat(stored).doesNotContain(secret);
      assertThat(allEvents).doesNotContain(secret);
    }
    Secret env =
        client
            .secrets()
            .inNamespace(namespace())
            .withName(resources.envSecret().orElseThrow().getMetadata().getName())
            .get();
    assertThat(env.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            owner -> {
              assertThat(owner.getUid()).isEqualTo(task.getMetadata().getUid());
              assertThat(owner.getKind()).isEqualTo("AgentTask");
            });
  }

  // --- fixtures ---

  AutoCloseable controller(String yaml) {
    return controller(yaml, backend);
  }

  AutoCloseable controller(String yaml, Backend taskBackend) {
    return controller(yaml, taskBackend, Map.of());
  }

  /** A replica in a pod, as the Deployment runs it: its pod name is its worker id. */
  AutoCloseable replicaInPod(String pod, Backend taskBackend) {
    return controller("", taskBackend, Map.of("POD_NAME", pod, "NODE_NAME", "node-1"));
  }

  AutoCloseable controller(String yaml, Backend taskBackend, Map<String, String> env) {
    WorkerConfig config;
    Map<String, String> environment = new java.util.HashMap<>(env);
    environment.put("WARP_API_KEY", "wk_worker");
    try {
      config = WorkerConfigs.resolve(yaml + "\nbackend:\n  direct: {}\n", environment);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    AgentTaskController controller =
        AgentTaskController.start(
            api.client(), config, List.of(taskBackend), Clock.systemUTC(), false);
    started.add(controller);
    return controller;
  }

  /** Stops a controller as a dying worker would stop: its runs go on, unheard. */
  void restart(AutoCloseable controller) {
    try {
      controller.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    started.remove(controller);
    backend.loseListeners();
  }

  String namespace() {
    return client.getNamespace();
  }

  static AgentTask userTask(String name) {
    return userTask(name, spec -> {});
  }

  static AgentTask userTask(String name, Consumer<AgentTaskSpec> edit) {
    AgentTask task = new AgentTask();
    task.getMetadata().setName(name);
    AgentTaskSpec spec = new AgentTaskSpec();
    spec.setTitle("Task " + name);
    spec.setPrompt("Say hello");
    edit.accept(spec);
    task.setSpec(spec);
    return task;
  }

  /** Labelled for a worker, as the intake of that worker labels the tasks it stores. */
  static AgentTask assignedTo(String workerId, AgentTask task) {
    task.getMetadata().setLabels(Map.of(AgentTaskKeys.WORKER_ID_LABEL, workerId));
    return task;
  }

  /** A Secret the namespace's owner shares with AgentTasks: labelled as usable by tasks. */
  static Secret sharedSecret(String name, String key, String value) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(AgentTaskKeys.USABLE_BY_TASKS_LABEL, "true")
        .endMetadata()
        .addToStringData(key, value)
        .build();
  }

  AgentTask create(AgentTask task) {
    return client.resources(AgentTask.class).inNamespace(namespace()).resource(task).create();
  }

  // A merge patch without a resourceVersion, as a user's cancel is: a read-modify-write here
  // would race the controller's own writes and fail with 409 on a loaded machine.
  void setCancel(String name) {
    client
        .resources(AgentTask.class)
        .inNamespace(namespace())
        .withName(name)
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"spec\":{\"cancel\":true}}");
  }

  AgentTask get(String name) {
    return client.resources(AgentTask.class).inNamespace(namespace()).withName(name).get();
  }

  AgentTaskPhase phase(String name) {
    AgentTask task = get(name);
    return task == null || task.getStatus() == null ? null : task.getStatus().getPhase();
  }

  boolean queued(String name) {
    AgentTask task = get(name);
    return task != null
        && task.getStatus() != null
        && AgentTaskConditions.isTrue(task.getStatus().getConditions(), "Queued");
  }

  AgentTask awaitPhase(String name, AgentTaskPhase phase) {
    await().atMost(WAIT).until(() -> phase(name) == phase);
    return get(name);
  }

  /** Waits until the task is final and cleaned up, the last thing the controller writes. */
  AgentTask awaitTornDown(String name) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              AgentTask task = get(name);
              return task != null
                  && task.getStatus() != null
                  && AgentTaskConditions.find(task.getStatus().getConditions(), "TornDown")
                      .isPresent();
            });
    return get(name);
  }

  static Map<String, String> conditions(AgentTask task) {
    Map<String, String> byType = new java.util.LinkedHashMap<>();
    if (task.getStatus() == null) {
      return byType; // not written yet: callers poll until it is
    }
    for (Condition c : task.getStatus().getConditions()) {
      byType.put(c.getType(), c.getStatus() + "/" + c.getReason());
    }
    return byType;
  }

  List<Event> events(String name) {
    return client.v1().events().inNamespace(namespace()).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  List<String> eventReasons(String name) {
    return events(name).stream().map(Event::getReason).toList();
  }
}
