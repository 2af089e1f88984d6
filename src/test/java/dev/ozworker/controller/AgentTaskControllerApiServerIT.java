package dev.ozworker.controller;

import static dev.ozworker.controller.AgentTaskControllerTest.conditions;
import static dev.ozworker.controller.AgentTaskControllerTest.userTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.observe.TestMetrics;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller on a real API server (kube-local, or any cluster KUBECONFIG names) with a scripted
 * backend: server-side apply of the finalizer, status PUTs with resourceVersions, Events, printer
 * columns as kubectl shows them, a claim refused with a real conflict, and a failed reconcile shown
 * on the task. Required in CI; skipped elsewhere when no KUBECONFIG is set.
 */
class AgentTaskControllerApiServerIT {
  static final Duration WAIT = Duration.ofSeconds(30);

  static final String NAMESPACE = TestCluster.NAMESPACE;
  static final String RUN_LABEL = TestCluster.RUN_LABEL;

  static KubernetesClient client;
  static String runId;
  static boolean createdCrd;

  String workerId;
  ScriptedBackend backend;
  final List<AutoCloseable> started = new ArrayList<>();
  final List<String> taskNames = new ArrayList<>();

  @BeforeAll
  static void installCrd() throws IOException {
    client = TestCluster.connectOrSkip();
    createdCrd = TestCluster.installCrd(client);
    runId = UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterAll
  static void removeTheCrdIfThisTestCreatedIt() {
    if (client == null) {
      return;
    }
    if (createdCrd) {
      TestCluster.removeCrd(client);
    }
    client.close();
  }

  @BeforeEach
  void newBackend() {
    workerId = "it-" + runId;
    backend = new ScriptedBackend();
  }

  /**
   * Deletes this run's tasks while the controllers still run, so that they release their
   * finalizers, and only then stops them. The Events the controllers wrote on the tasks go too.
   */
  @AfterEach
  void removeWhatThisTestCreated() throws Exception {
    try {
      tasks().withLabel(RUN_LABEL, runId).delete();
      await()
          .atMost(WAIT)
          .until(() -> tasks().withLabel(RUN_LABEL, runId).list().getItems().isEmpty());
      for (String name : taskNames) {
        client.v1().events().inNamespace(NAMESPACE).withField("involvedObject.name", name).delete();
      }
    } catch (ConditionTimeoutException e) {
      // Leave nothing behind on the cluster, and still fail: the controller kept its finalizer.
      for (AgentTask left : tasks().withLabel(RUN_LABEL, runId).list().getItems()) {
        tasks()
            .withName(left.getMetadata().getName())
            .edit(
                task -> {
                  task.getMetadata().setFinalizers(List.of());
                  return task;
                });
      }
      throw new AssertionError("the controller did not release the deleted AgentTasks", e);
    } finally {
      for (AutoCloseable closeable : started.reversed()) {
        closeable.close();
      }
      backend.close();
    }
  }

  @Test
  void kubectlGetShowsPhaseWorkerExitAndReasonOfControlledTasks() throws Exception {
    String ok = name("ok");
    String broken = name("broken");
    backend.ends(ok, new TaskOutcome.Succeeded("hello from the agent\n"));
    backend.ends(
        broken,
        new TaskOutcome.Failed(
            new TaskFailure(
                FailureReason.AGENT_INVOCATION,
                3,
                "oz agent exited with error: exit status 3",
                null),
            "panic: no luck\n"));
    controller();

    create(userTask(ok));
    create(userTask(broken));

    AgentTask succeeded = awaitTornDown(ok);
    AgentTask failed = awaitTornDown(broken);
    assertThat(succeeded.getMetadata().getFinalizers()).contains(AgentTaskKeys.FINALIZER);
    assertThat(succeeded.getMetadata().getLabels())
        .containsEntry(AgentTaskKeys.WORKER_ID_LABEL, workerId);
    assertThat(conditions(succeeded))
        .containsEntry("Completed", "True/Succeeded")
        .containsEntry("TornDown", "True/CleanedUp");
    assertThat(conditions(failed)).containsEntry("Completed", "True/Failed");
    List<String> table =
        TestCluster.kubectl("get", "agenttasks", "-n", NAMESPACE, "-l", runLabel());
    assertThat(table.get(0).split("\\s+"))
        .containsExactly("NAME", "PHASE", "TITLE", "WORKER", "EXIT", "REASON", "AGE");
    assertThat(row(table, ok))
        .startsWith(ok, "Succeeded", "Task", ok, workerId, "0")
        .doesNotContain("agent_invocation");
    assertThat(row(table, broken))
        .startsWith(broken, "Failed", "Task", broken, workerId, "3", "agent_invocation");
    assertThat(backend.count("cleanup", ok)).isEqualTo(1);
    assertThat(backend.count("cleanup", broken)).isEqualTo(1);
  }

  @Test
  void aRunningTaskIsCancelledAndTornDownOnARealApiServer() throws Exception {
    String name = name("long");
    controller();
    create(userTask(name));
    awaitPhase(name, AgentTaskPhase.Running);

    tasks()
        .withName(name)
        .edit(
            task -> {
              task.getSpec().setCancel(true);
              return task;
            });

    AgentTask task = awaitTornDown(name);
    assertThat(task.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Cancelled);
    assertThat(task.getStatus().getMessage()).contains("spec.cancel");
    assertThat(task.getStatus().getLogTail()).isEqualTo("terminated");
    assertThat(conditions(task)).containsEntry("Completed", "True/Cancelled");
    assertThat(backend.count("start", name)).isEqualTo(1);
    assertThat(backend.count("cancel", name)).isEqualTo(1);
    assertThat(backend.count("cleanup", name)).isEqualTo(1);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(events(name))
                    .containsExactly(
                        List.of("Normal", "Claimed", TaskEvents.COMPONENT),
                        List.of("Normal", "Cancelled", TaskEvents.COMPONENT)));
  }

  @Test
  void anEventRepeatedIsCountedOnTheOneWrittenByTheApiServer() throws Exception {
    String name = name("repeated");
    AgentTask created = create(userTask(name));
    TaskEvents events = new TaskEvents(workerId, Clock.systemUTC());

    events.record(client, created, "Warning", "SecretNotFound", "Secret s not found");
    events.record(client, created, "Warning", "SecretNotFound", "Secret s not found");

    List<Event> written =
        client
            .v1()
            .events()
            .inNamespace(NAMESPACE)
            .withField("involvedObject.name", name)
            .list()
            .getItems();
    assertThat(written).hasSize(1);
    assertThat(written.getFirst().getCount()).isEqualTo(2);
    assertThat(written.getFirst().getMessage()).isEqualTo("Secret s not found");
  }

  @Test
  void aStaleClaimIsRefusedByTheApiServer() {
    AgentTask created = create(userTask(name("contested")));

    boolean firstWon = new TaskOwnership("a").claim(client, created);
    boolean secondWon = new TaskOwnership("b").claim(client, created);

    assertThat(firstWon).isTrue();
    assertThat(secondWon).as("second claim carried a stale resourceVersion").isFalse();
    AgentTask stored = tasks().withName(created.getMetadata().getName()).get();
    assertThat(stored.getMetadata().getLabels())
        .containsEntry(AgentTaskKeys.WORKER_ID_LABEL, "a")
        .containsEntry(RUN_LABEL, runId);
    assertThat(stored.getMetadata().getResourceVersion())
        .isNotEqualTo(created.getMetadata().getResourceVersion());
    assertThatThrownBy(() -> client.resource(created).update())
        .as("what the refused claim was told")
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
  }

  @Test
  void aFailedReconcileShownOnTheTaskAndClearedAgainIsTakenByTheApiServer() throws Exception {
    String name = name("failing");
    AgentTask created = create(userTask(name));
    assertThat(new TaskOwnership(workerId).claim(client, created)).isTrue();
    AgentTaskReconciler reconciler =
        new AgentTaskReconciler(
            config(),
            List.of(backend),
            Clock.systemUTC(),
            TestMetrics.create(),
            new FreshSecrets(Clock.systemUTC()));
    TaskContext context = new TaskContext(client, (read, stored) -> {});

    reconciler.updateErrorStatus(
        tasks().withName(name).get(),
        context,
        new IllegalStateException("no Docker engine answers at unix:///var/run/docker.sock"));

    AgentTask failing = tasks().withName(name).get();
    assertThat(failing.getStatus().getPhase()).isNull();
    assertThat(conditions(failing)).containsEntry("ReconcileError", "True/ReconcileFailed");
    String described =
        String.join("\n", TestCluster.kubectl("describe", "at", "-n", NAMESPACE, name));
    assertThat(described)
        .containsPattern("Type: +ReconcileError")
        .contains(
            "reconciling failed, retrying: IllegalStateException: no Docker engine answers at"
                + " unix:///var/run/docker.sock");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(events(name))
                    .contains(List.of("Warning", "ReconcileFailed", TaskEvents.COMPONENT)));

    reconciler.reconcile(tasks().withName(name).get(), context);

    AgentTask recovered = tasks().withName(name).get();
    assertThat(recovered.getStatus().getPhase())
        .isIn(AgentTaskPhase.Preparing, AgentTaskPhase.Running);
    assertThat(conditions(recovered)).containsEntry("ReconcileError", "False/Reconciled");
  }

  // --- fixtures ---

  WorkerConfig config() throws Exception {
    return WorkerConfigs.resolve(
        "worker_id: " + workerId + "\nnamespace: " + NAMESPACE + "\nbackend:\n  direct: {}\n",
        Map.of("WARP_API_KEY", "wk_worker"));
  }

  void controller() throws Exception {
    started.add(
        AgentTaskController.start(client, config(), List.of(backend), Clock.systemUTC(), true));
  }

  static String name(String suffix) {
    return runId + "-" + suffix;
  }

  static String runLabel() {
    return RUN_LABEL + "=" + runId;
  }

  static NonNamespaceOperation<AgentTask, KubernetesResourceList<AgentTask>, Resource<AgentTask>>
      tasks() {
    return client.resources(AgentTask.class).inNamespace(NAMESPACE);
  }

  AgentTask create(AgentTask task) {
    task.getMetadata().setLabels(new HashMap<>(Map.of(RUN_LABEL, runId)));
    taskNames.add(task.getMetadata().getName());
    return tasks().resource(task).create();
  }

  static AgentTaskPhase phase(String name) {
    AgentTask task = tasks().withName(name).get();
    return task == null || task.getStatus() == null ? null : task.getStatus().getPhase();
  }

  static void awaitPhase(String name, AgentTaskPhase phase) {
    await().atMost(WAIT).until(() -> phase(name) == phase);
  }

  /** Waits until the task is final and cleaned up, the last thing the controller writes. */
  static AgentTask awaitTornDown(String name) {
    return await()
        .atMost(WAIT)
        .until(
            () -> tasks().withName(name).get(),
            task ->
                task != null
                    && task.getStatus() != null
                    && AgentTaskConditions.find(task.getStatus().getConditions(), "TornDown")
                        .isPresent());
  }

  /** The Events on the named task as kubectl shows them: type, reason and source. */
  static List<List<String>> events(String name) throws IOException, InterruptedException {
    return TestCluster.kubectl(
            "get",
            "events",
            "-n",
            NAMESPACE,
            "--field-selector",
            "involvedObject.name=" + name,
            "--no-headers",
            "-o",
            "custom-columns=TYPE:.type,REASON:.reason,FROM:.source.component")
        .stream()
        .map(line -> List.of(line.split("\\s+")))
        .toList();
  }

  /** The cells of the table row of the named task. */
  static List<String> row(List<String> table, String name) {
    return table.stream()
        .filter(line -> line.startsWith(name + " "))
        .findFirst()
        .map(line -> List.of(line.split("\\s+")))
        .orElseThrow(() -> new AssertionError("no row for " + name + " in\n" + table));
  }
}
