package dev.ozworker.e2e;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.awaitility.Awaitility.await;

import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.FailureReason;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool of three Direct-backend replicas with two slots each, under 300 quick tasks — half from
 * Oz, half applied by hand in bursts — while one replica's pod is deleted gracefully and another's
 * is force-deleted. Checked from the records, not from logs: each agent's start leaves a file on
 * the node (which outlives its pod), each task's phases are watched from the API server, each
 * task's log tail is read back, and the fake Oz server keeps every result frame.
 */
@ExtendWith(ClusterImages.Extension.class)
class ClusterPoolStressIT {
  static final int REPLICAS = 3;
  static final int CAPACITY = 2;
  static final int OZ_TASKS = 150;
  static final int USER_TASKS = 150;
  static final int BURST = 25;

  /** Every so many tasks, one runs long enough to be running when a pod is deleted. */
  static final int LONG_EVERY = 20;

  static final int LONG_SECONDS = 12;
  static final Duration ALL_DONE = Duration.ofMinutes(10);

  /** Where the stand-in agent leaves its start records in the worker pods. */
  static final String RECORDS = "/var/lib/oz/e2e-records";

  /** Where a pool that did not settle is summed up (relative to the project, where tests run). */
  static final Path DIAGNOSIS = Path.of("target", "test-diagnoses", "ClusterPoolStressIT.txt");

  @TempDir Path dir;

  @Test
  void threeHundredTasksRunOnceEachThroughAGracefulAndAForcedPodDeletion(ClusterImages images)
      throws Exception {
    Path records = Files.createTempDirectory("oz-e2e-records");
    Files.setPosixFilePermissions(records, PosixFilePermissions.fromString("rwxrwxrwx"));
    try (ClusterPool pool =
        ClusterPool.install(
            images,
            "test-direct-stress",
            REPLICAS,
            dir.resolve("overlay"),
            recordsMount(records))) {
      try (PhaseHistory history = PhaseHistory.watch(pool.admin, pool.namespace);
          ClusterDispatch oz = new ClusterDispatch(pool.oz, CAPACITY)) {
        run(pool, history, oz, records);
      }
    } finally {
      try (Stream<Path> files = Files.list(records)) {
        for (Path file : files.toList()) {
          Files.delete(file);
        }
      }
      Files.delete(records);
    }
  }

  private void run(ClusterPool pool, PhaseHistory history, ClusterDispatch oz, Path records)
      throws Exception {
    Map<String, Integer> exitOf = new HashMap<>();
    List<String> ozTasks = new ArrayList<>();
    Set<String> longTasks = new HashSet<>();
    for (int i = 0; i < OZ_TASKS; i++) {
      String taskId = UUID.randomUUID().toString();
      int exit = i % 7 == 3 ? 3 : 0;
      String seconds = String.valueOf(i % LONG_EVERY == 7 ? LONG_SECONDS : i % 3 == 0 ? 1 : 0);
      if (i % LONG_EVERY == 7) {
        longTasks.add(taskId);
      }
      oz.queue(taskId, assignment(taskId, Map.of("E2E_SLEEP", seconds, "E2E_EXIT", "" + exit)));
      exitOf.put(taskId, exit);
      ozTasks.add(taskId);
    }
    long started = System.nanoTime();
    pool.whenConnected(oz::connected);
    oz.start(pool.pods());

    List<String> userTasks = new ArrayList<>();
    List<String> disrupted = new ArrayList<>();
    // the tasks whose run the forced deletion took: started on that pod, not ended when it died
    Set<String> caught = new HashSet<>();
    for (int i = 0; i < USER_TASKS; i++) {
      String name = String.format("stress-%03d", i);
      int exit = i % 7 == 5 ? 3 : 0;
      exitOf.put(name, exit);
      userTasks.add(name);
      if (i % LONG_EVERY == 11) {
        longTasks.add(name);
      }
      pool.admin
          .resources(AgentTask.class)
          .inNamespace(pool.namespace)
          .resource(userTask(name, i % LONG_EVERY == 11 ? LONG_SECONDS : i % 3 == 1 ? 1 : 0, exit))
          .create();
      if ((i + 1) % BURST == 0) {
        // The next burst lands while the last one is being claimed and run.
        int ended = ended(pool);
        if (disrupted.isEmpty() && ended >= 60) {
          disrupted.add(deleteBusiestPod(pool, false, longTasks, caught));
        } else if (disrupted.size() == 1 && ended >= 120) {
          disrupted.add(deleteBusiestPod(pool, true, longTasks, caught));
        }
        await().atMost(Duration.ofMinutes(2)).until(() -> ended(pool) >= ended + BURST / 2);
      }
    }
    while (disrupted.size() < 2) {
      int ended = ended(pool);
      await().atMost(Duration.ofMinutes(2)).until(() -> ended(pool) > ended);
      disrupted.add(deleteBusiestPod(pool, disrupted.size() == 1, longTasks, caught));
    }

    List<String> all = Stream.concat(ozTasks.stream(), userTasks.stream()).toList();
    try {
      await()
          .atMost(ALL_DONE)
          .until(() -> settled(pool.tasks(), ozTasks).size() == ozTasks.size() + USER_TASKS);
    } catch (ConditionTimeoutException e) {
      printUnsettled(pool, ozTasks, oz);
      throw e;
    }
    ClusterTimings.print(all.size() + " tasks on a pool losing two pods to their end", started);
    Map<String, AgentTask> byRun = byRunId(pool, ozTasks);
    // The watch delivers each task's last version a moment after it is stored.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                byRun.values().stream()
                    .allMatch(
                        t ->
                            history
                                .of(t.getMetadata().getName())
                                .getLast()
                                .equals(t.getStatus().getPhase().name())));
    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(history.problem()).isEmpty();

    Map<String, Long> starts = starts(records);
    Map<String, Integer> outcomes = new TreeMap<>();
    int lost = 0;
    int neverStarted = 0;
    for (String run : all) {
      AgentTask task = byRun.get(run);
      AgentTaskStatus status = task.getStatus();
      List<String> phases = history.of(task.getMetadata().getName());
      String why = run + " " + phases + " " + status.getMessage();
      long startsOfRun = starts.getOrDefault(run, 0L);
      outcomes.merge(
          status.getPhase()
              + (status.getFailureReason() == null ? "" : "/" + status.getFailureReason()),
          1,
          Integer::sum);

      softly.assertThat(PhaseHistory.wrongTurn(phases)).as("phase history of %s", why).isEmpty();
      softly
          .assertThat(phases.getLast())
          .as("last phase seen of %s", why)
          .isEqualTo(status.getPhase().name());
      softly.assertThat(startsOfRun).as("agent starts of %s", why).isLessThanOrEqualTo(1);
      boolean lostWithPod = status.getMessage().contains("lost with its pod");
      boolean ranToItsEnd =
          status.getPhase() == AgentTaskPhase.Succeeded
              || (status.getPhase() == AgentTaskPhase.Failed && status.getExitCode() != null);
      if (lostWithPod) {
        lost++;
        softly
            .assertThat(status.getFailureReason())
            .as("reason of %s", why)
            .isEqualTo(FailureReason.GRACEFUL_SHUTDOWN);
        softly.assertThat(status.getMessage()).as("message of %s", why).doesNotContain("workspace");
      }
      if (startsOfRun == 0) {
        neverStarted++;
        softly.assertThat(ranToItsEnd).as("%s ended without its agent starting", why).isFalse();
      }
      if (ranToItsEnd && !lostWithPod) {
        softly.assertThat(startsOfRun).as("agent starts of %s", why).isEqualTo(1);
        softly
            .assertThat(status.getExitCode())
            .as("exit code of %s", why)
            .isEqualTo(exitOf.get(run));
      }
      if (startsOfRun == 1 && !lostWithPod) {
        softly
            .assertThat(status.getLogTail())
            .as("log tail of %s", why)
            .contains("agent " + run + " runs ");
      }
    }

    int redelivered = 0;
    for (String id : ozTasks) {
      List<Frame> results = pool.results(id);
      softly.assertThat(results).as("results of %s", id).isNotEmpty();
      softly
          .assertThat(results.stream().map(frame -> frame.data().toString()).distinct())
          .as("every copy of the result of %s is the same", id)
          .hasSize(1);
      if (results.size() > 1) {
        redelivered++;
        // A copy is sent again only by a replica that took over from one whose connection ended.
        String first = results.getFirst().workerId();
        softly
            .assertThat(pool.oz.closeCodes(first))
            .as("connections ended of %s, which sent the first result of %s", first, id)
            .isNotEmpty();
      }
    }

    System.out.printf(
        "pool stress: %d tasks (%d from Oz, %d by hand), pods deleted %s; outcomes %s;"
            + " agents started once %d, never %d, twice or more 0; lost with their pod %d;"
            + " Oz results re-delivered after a lost connection %d; rejections offered again %d,"
            + " %d of them when no result was owed%n",
        all.size(),
        OZ_TASKS,
        USER_TASKS,
        disrupted,
        outcomes,
        all.size() - neverStarted,
        neverStarted,
        lost,
        redelivered,
        oz.rejections(),
        oz.stallsBroken());
    // Each run the forced deletion took was lost and said so. It took none when the pod ended its
    // runs before it was frozen (a loaded machine: the long task chosen may end meanwhile).
    System.out.printf("pool stress: runs the forced deletion took: %s%n", caught);
    for (AgentTask task : byRun.values()) {
      if (caught.contains(task.getMetadata().getName())) {
        softly
            .assertThat(task.getStatus().getMessage())
            .as("%s, taken by the forced deletion", task.getMetadata().getName())
            .contains("lost with its pod");
      }
    }
    System.out.printf(
        "pool stress: %d start records on the node for %d runs%n",
        starts.values().stream().mapToLong(Long::longValue).sum(), starts.size());
    softly.assertAll();
  }

  /** Mounts {@code records} of the node in every worker pod at {@link #RECORDS}. */
  private static String recordsMount(Path records) {
    return """
          - op: add
            path: /spec/template/spec/volumes/-
            value: {name: e2e-records, hostPath: {path: %s, type: Directory}}
          - op: add
            path: /spec/template/spec/containers/0/volumeMounts/-
            value: {name: e2e-records, mountPath: %s}
    """
        .formatted(records, RECORDS);
  }

  private static AgentTask userTask(String name, int seconds, int exit) {
    AgentTask task = new AgentTask();
    task.getMetadata().setName(name);
    AgentTaskSpec spec = new AgentTaskSpec();
    spec.setTitle("Stress " + name);
    spec.setPrompt("sleep " + seconds + " exit " + exit);
    task.setSpec(spec);
    return task;
  }

  /**
   * Deletes the pod running the most long tasks, then the most tasks, waiting a while for one that
   * runs a long task: gracefully (it drains), or forced with its container killed (its processes
   * die with it and another replica adopts what it owned).
   */
  private static String deleteBusiestPod(
      ClusterPool pool, boolean force, Set<String> longTasks, Set<String> caught)
      throws IOException, InterruptedException {
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> running(pool, longTasks).values().stream().anyMatch(n -> n >= 1000));
    } catch (ConditionTimeoutException e) {
      System.out.println("pool stress: no pod ran a long task within 60 s; deleting the busiest");
    }
    Map<String, Long> running = running(pool, longTasks);
    String pod =
        pool.pods().stream()
            .max(Comparator.comparing(p -> running.getOrDefault(p, 0L)))
            .orElseThrow();
    // A forced deletion alone is not a hard loss: the kubelet still stops the container with a
    // short grace, and a worker that gets its SIGTERM in time stops its runs as a drain would. So
    // the forced case freezes the worker's container (by the id the pod records) before the pod is
    // deleted, and kills it outright once the pod is gone from the API: its processes die with no
    // word said, as on a lost node. Killed only after the deletion, a loaded machine let the
    // kubelet's SIGTERM reach the worker first: its runs ended as a drain's, none lost.
    String container =
        Command.kubectl(
                "get",
                "pod",
                pod,
                "-n",
                pool.namespace,
                "-o",
                "jsonpath={.status.containerStatuses[0].containerID}")
            .ok()
            .out()
            .trim()
            .replaceFirst("^docker://", "");
    List<String> args =
        new ArrayList<>(List.of("delete", "pod", pod, "-n", pool.namespace, "--wait=false"));
    if (force) {
      args.addAll(List.of("--force", "--grace-period=0"));
      // runc cannot always freeze a cgroup whose processes are forking ("unable to freeze"): asked
      // again until it can
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  Command.run(Duration.ofSeconds(60), "docker", "pause", container).status() == 0);
    }
    Command.kubectl(args.toArray(String[]::new)).ok();
    if (force) {
      // a paused container is killed, then thawed to die; the kubelet may have killed it already
      Command kill =
          Command.run(Duration.ofSeconds(60), "docker", "kill", "--signal", "KILL", container);
      if (kill.status() != 0 && !kill.err().contains("is not running")) {
        kill.ok();
      }
      // Read once the worker is dead: what it had started and not ended, it never will.
      pool.tasks().stream()
          .filter(t -> t.getStatus() != null && pod.equals(t.getStatus().getWorkerId()))
          .filter(
              t ->
                  t.getStatus().getPhase() == AgentTaskPhase.Preparing
                      || t.getStatus().getPhase() == AgentTaskPhase.Running)
          .forEach(t -> caught.add(t.getMetadata().getName()));
    }
    long score = running.getOrDefault(pod, 0L);
    System.out.printf(
        "pool stress: deleted pod %s%s while it ran %d tasks, %d of them long%n",
        pod, force ? " by force" : "", score % 1000, score / 1000);
    return pod + (force ? " (forced)" : " (graceful)");
  }

  /** Per live pod: its running tasks, plus 1000 for each long one among them. */
  private static Map<String, Long> running(ClusterPool pool, Set<String> longTasks) {
    List<String> live = pool.pods();
    return pool.tasks().stream()
        .filter(t -> t.getStatus() != null && t.getStatus().getPhase() == AgentTaskPhase.Running)
        .filter(t -> live.contains(t.getStatus().getWorkerId()))
        .collect(
            Collectors.groupingBy(
                t -> t.getStatus().getWorkerId(),
                Collectors.summingLong(
                    t ->
                        longTasks.contains(t.getMetadata().getName())
                                || longTasks.contains(t.getSpec().getTaskId())
                            ? 1001
                            : 1)));
  }

  /** Tasks in a final phase. */
  private static int ended(ClusterPool pool) {
    return (int)
        pool.tasks().stream()
            .filter(t -> t.getStatus() != null && t.getStatus().getPhase() != null)
            .filter(t -> t.getStatus().getPhase().isTerminal())
            .count();
  }

  /**
   * Tasks with nothing left to do: final, torn down when they reached a backend, and reported when
   * they came from Oz.
   */
  private static Set<String> settled(List<AgentTask> tasks, List<String> ozTasks) {
    Set<String> fromOz = new HashSet<>(ozTasks);
    return tasks.stream()
        .filter(t -> t.getStatus() != null && t.getStatus().getPhase() != null)
        .filter(t -> t.getStatus().getPhase().isTerminal())
        .filter(
            t ->
                t.getStatus().getBackendRef() == null
                    || (t.getStatus().getConditions() != null
                        && t.getStatus().getConditions().stream()
                            .anyMatch(c -> c.getType().equals("TornDown"))))
        .filter(
            t ->
                !fromOz.contains(t.getSpec().getTaskId())
                    || Boolean.TRUE.equals(t.getStatus().getReported()))
        .map(t -> t.getMetadata().getName())
        .collect(Collectors.toSet());
  }

  /**
   * For a pool that did not settle: each task still owing something, the dispatcher's view of Oz,
   * and what the live workers logged about those tasks. The summary, its most telling lines first,
   * also goes to {@link #DIAGNOSIS}, which CI prints last when a run fails: its record keeps only
   * the last lines.
   */
  private static void printUnsettled(ClusterPool pool, List<String> ozTasks, ClusterDispatch oz)
      throws IOException, InterruptedException {
    // one listing for both, so that a task is judged on what is printed of it
    List<AgentTask> tasks = pool.tasks();
    Set<String> settled = settled(tasks, ozTasks);
    Set<String> stored = new HashSet<>();
    List<String> unsettled = new ArrayList<>();
    List<String> summary = new ArrayList<>();
    for (AgentTask task : tasks) {
      stored.add(task.getSpec().getTaskId());
      String name = task.getMetadata().getName();
      if (!settled.contains(name)) {
        unsettled.add(name);
        AgentTaskStatus status = task.getStatus();
        System.out.printf(
            "pool stress: unsettled %s (Oz task %s): labels %s, finalizers %s, status %s%n",
            name,
            task.getSpec().getTaskId(),
            task.getMetadata().getLabels(),
            task.getMetadata().getFinalizers(),
            status);
        summary.add(
            status == null
                ? "unsettled %s: no status".formatted(name)
                : "unsettled %s (%s): %s on %s, reported %s, conditions %s"
                    .formatted(
                        name,
                        task.getSpec().getTaskId() == null
                            ? "applied by hand"
                            : "Oz task " + task.getSpec().getTaskId(),
                        status.getPhase(),
                        status.getWorkerId(),
                        status.getReported(),
                        status.getConditions() == null
                            ? List.of()
                            : status.getConditions().stream().map(c -> c.getType()).toList()));
      }
    }
    List<String> neverStored = ozTasks.stream().filter(id -> !stored.contains(id)).toList();
    if (!neverStored.isEmpty()) {
      summary.addFirst(
          "%d Oz tasks were never stored: %s".formatted(neverStored.size(), neverStored));
    }
    summary.addFirst("dispatch " + oz.describe());
    summary.forEach(line -> System.out.println("pool stress: " + line));
    Files.createDirectories(DIAGNOSIS.getParent());
    Files.write(DIAGNOSIS, summary);
    for (String pod : pool.pods()) {
      String log =
          Command.kubectl("logs", "-n", pool.namespace, pod, "-c", "worker")
              .out()
              .lines()
              .filter(line -> unsettled.stream().anyMatch(line::contains))
              .collect(Collectors.joining("\n"));
      System.out.println("--- " + pod + " on unsettled tasks\n" + log);
    }
  }

  /** The pool's tasks by run id: the Oz task id, or the name of a task applied by hand. */
  private static Map<String, AgentTask> byRunId(ClusterPool pool, List<String> ozTasks) {
    Set<String> fromOz = new HashSet<>(ozTasks);
    return pool.tasks().stream()
        .collect(
            Collectors.toMap(
                t ->
                    fromOz.contains(t.getSpec().getTaskId())
                        ? t.getSpec().getTaskId()
                        : t.getMetadata().getName(),
                Function.identity()));
  }

  /** How many times each run's agent started, from the files it left on the node. */
  private static Map<String, Long> starts(Path records) throws IOException {
    try (Stream<Path> files = Files.list(records)) {
      return files
          .map(file -> file.getFileName().toString())
          .filter(name -> name.startsWith("start."))
          .map(name -> name.substring("start.".length(), name.lastIndexOf('.')))
          .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }
  }
}
