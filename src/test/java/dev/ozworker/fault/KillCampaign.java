package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.oz.fake.FakeOzServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One backend's kill campaign: the worker jar killed with SIGKILL at seeded random points of its
 * tasks' lives and started again under the same worker id after each kill, in a namespace of its
 * own on the real API server; then the figures: results per task at Oz, agent starts, leftovers.
 */
final class KillCampaign {
  static final Duration SETTLE = Duration.ofMinutes(3);

  /** What lets a held agent exit before the kill, for {@link KillPoint#EXITED_UNREPORTED}. */
  interface AgentFinish {
    void finish(String taskId) throws Exception;
  }

  /** What the campaign found; {@code leftovers} names each thing left behind. */
  record Outcome(FaultReport report, List<String> leftovers) {}

  private final KubernetesClient client;
  private final Path root;
  private final int kills;
  private final long seed;
  private final String namespace;
  private FakeOzServer oz;
  private FaultWorker worker;

  KillCampaign(KubernetesClient client, Path root, int kills, long seed) {
    this.client = client;
    this.root = root;
    this.kills = kills;
    this.seed = seed;
    this.namespace = "fault-kill-" + UUID.randomUUID().toString().substring(0, 8);
  }

  Outcome run(String scenario, String workerId, KillStage stage, AgentFinish finish)
      throws Exception {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    oz = FakeOzServer.start(FaultWorker.API_KEY);
    try {
      return campaign(scenario, workerId, stage, finish);
    } finally {
      if (worker != null) {
        worker.close();
      }
      oz.close();
      removeNamespace();
    }
  }

  private Outcome campaign(String scenario, String workerId, KillStage stage, AgentFinish finish)
      throws Exception {
    Random random = new Random(seed);
    System.out.println("fault-suite " + scenario + ": seed " + seed);
    List<KillPoint> points = new ArrayList<>();
    for (int i = 0; i < kills; i++) {
      points.add(KillPoint.values()[i % KillPoint.values().length]);
    }
    Collections.shuffle(points, random);

    Path config = root.resolve("worker.yaml");
    Files.writeString(
        config,
        """
        worker_id: %s
        namespace: %s
        task_log_dir: %s
        cancel_grace_period: 2s
        %s\
        """
            .formatted(workerId, namespace, root.resolve("logs"), stage.backendYaml()));
    worker =
        new FaultWorker(
            root,
            workerId,
            config,
            oz,
            stage.workerEnv(),
            List.of("--kubeconfig", System.getenv("KUBECONFIG")));
    worker.warmUp();
    long began = System.nanoTime();
    worker.start();
    TaskLedger ledger = new TaskLedger(oz, root.resolve("records"));
    List<String> tasks = new ArrayList<>();
    Map<KillPoint, Integer> killedAt = new EnumMap<>(KillPoint.class);
    Map<String, Integer> phasesAtKill = new TreeMap<>();
    for (int i = 0; i < kills; i++) {
      KillPoint point = points.get(i);
      String taskId = "%s-%02d-%s".formatted(workerId, i, point.name().toLowerCase().charAt(0));
      tasks.add(taskId);
      oz.assign(workerId, stage.assignment(taskId, point));
      try {
        if (point == KillPoint.STORED) {
          await()
              .atMost(Duration.ofSeconds(60))
              .pollInterval(Duration.ofMillis(5))
              .until(() -> reached(taskId, point));
        } else {
          stage.awaitPoint(taskId, point);
        }
      } catch (ConditionTimeoutException e) {
        throw new AssertionError(
            "%s: kill %d never reached %s: %s; the worker's log is kept at %s"
                .formatted(
                    scenario,
                    i + 1,
                    point,
                    FaultDiagnosis.describe(taskId, task(taskId), ledger.results(taskId).size()),
                    FaultDiagnosis.keepLog(worker, scenario.replace(' ', '-'))),
            e);
      }
      if (point == KillPoint.EXITED_UNREPORTED) {
        oz.refuseConnections(true);
        oz.drop(workerId);
        finish.finish(taskId);
        await().atMost(Duration.ofSeconds(60)).until(() -> reached(taskId, point));
      }
      long killed = System.nanoTime();
      worker.kill();
      killedAt.merge(point, 1, Integer::sum);
      String phaseAtKill = phaseOf(taskId);
      phasesAtKill.merge(phaseAtKill, 1, Integer::sum);
      oz.refuseConnections(false);
      worker.start();
      stage.release(taskId);
      System.out.printf(
          "fault-suite %s: kill %d at %s (%s), restarted in %d ms%n",
          scenario,
          i + 1,
          point,
          phaseAtKill,
          Duration.ofNanos(System.nanoTime() - killed).toMillis());
    }

    Predicate<String> done = id -> !ledger.results(id).isEmpty() && settled(task(id));
    try {
      await().atMost(SETTLE).until(() -> tasks.stream().allMatch(done));
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "%s: not settled within %s: %s; the worker's log is kept at %s"
              .formatted(
                  scenario,
                  SETTLE,
                  tasks.stream()
                      .filter(done.negate())
                      .map(id -> FaultDiagnosis.describe(id, task(id), ledger.results(id).size()))
                      .toList(),
                  FaultDiagnosis.keepLog(worker, scenario.replace(' ', '-'))),
          e);
    }
    Map<String, Integer> startedTwice = ledger.startedMoreThanOnce(tasks);
    if (!startedTwice.isEmpty()) {
      // the task id ends with its kill point's initial; the log tells what each worker did of it
      FaultDiagnosis.keepLog(worker, scenario.replace(' ', '-') + "-started-twice");
      FaultDiagnosis.printLinesAbout(worker, startedTwice.keySet());
    }
    List<String> notTornDown = tasks.stream().filter(id -> !tornDown(task(id))).toList();
    // Deleting the tasks while the worker runs lets it remove its finalizers, as in production.
    FaultCleanup.deleteTasks(client, namespace, Duration.ofSeconds(60));
    int exit = worker.stop(Duration.ofSeconds(60));
    Duration took = Duration.ofNanos(System.nanoTime() - began);
    List<String> leftovers = new ArrayList<>(stage.leftovers());
    notTornDown.forEach(id -> leftovers.add("AgentTask " + id + " not torn down"));

    FaultReport report =
        new FaultReport(
            scenario,
            kills,
            exit == 0 ? 0 : 1,
            ledger.lost(tasks),
            ledger.duplicates(tasks),
            leftovers.size(),
            ("seed=%d kills=%d tasks=%d redelivered=%d violations=%s startedTwice=%s"
                    + " killedAt=%s phaseAtKill=%s outcomes=%s wall=%ds")
                .formatted(
                    seed,
                    kills,
                    tasks.size(),
                    ledger.resent(tasks),
                    ledger.violations(tasks),
                    startedTwice,
                    killedAt,
                    phasesAtKill,
                    ledger.outcomes(tasks),
                    took.toSeconds()));
    return new Outcome(report, leftovers);
  }

  boolean reached(String taskId, KillPoint point) {
    AgentTask task = task(taskId);
    if (task == null) {
      return false;
    }
    AgentTaskPhase phase = task.getStatus() == null ? null : task.getStatus().getPhase();
    return switch (point) {
      case STORED -> true;
      case PREPARING, RUNNING -> phase != null && phase != AgentTaskPhase.Pending;
      case EXITED_UNREPORTED, TEARDOWN -> phase != null && phase.isTerminal();
    };
  }

  private String phaseOf(String taskId) {
    AgentTask task = task(taskId);
    AgentTaskStatus status = task == null ? null : task.getStatus();
    if (status == null || status.getPhase() == null) {
      return task == null ? "absent" : "new";
    }
    return status.getPhase() + (Boolean.TRUE.equals(status.getReported()) ? "+reported" : "");
  }

  private AgentTask task(String taskId) {
    return client.resources(AgentTask.class).inNamespace(namespace).withName(taskId).get();
  }

  static boolean settled(AgentTask task) {
    return task != null
        && task.getStatus() != null
        && Boolean.TRUE.equals(task.getStatus().getReported())
        && tornDown(task);
  }

  /**
   * Torn down, or ended before it reached a backend, which leaves nothing to tear down: a worker
   * killed between storing the AgentTask and its Secret leaves a task that ends so.
   */
  static boolean tornDown(AgentTask task) {
    if (task == null || task.getStatus() == null) {
      return false;
    }
    var status = task.getStatus();
    boolean neverStarted =
        status.getPhase() != null
            && status.getPhase().isTerminal()
            && status.getStartedAt() == null
            && status.getBackendRef() == null;
    return neverStarted
        || (status.getConditions() != null
            && status.getConditions().stream()
                .anyMatch(c -> c.getType().equals("TornDown") && c.getStatus().equals("True")));
  }

  /** Without a worker nothing removes the finalizers; the namespace must still go. */
  private void removeNamespace() {
    var tasks = client.resources(AgentTask.class).inNamespace(namespace);
    tasks
        .list()
        .getItems()
        .forEach(
            task ->
                tasks
                    .withName(task.getMetadata().getName())
                    .edit(
                        t -> {
                          t.getMetadata().setFinalizers(List.of());
                          return t;
                        }));
    client.namespaces().withName(namespace).delete();
  }
}
