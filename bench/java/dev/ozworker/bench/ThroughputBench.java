package dev.ozworker.bench;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.controller.MockApi;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.oz.fake.FakeOzServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throughput: a burst of assignments sent as fast as the fake Oz server can, timed from the first
 * sent to the last terminal result frame received. With a backend that ends every run at once, on
 * the embedded API server and on a real one (KUBECONFIG); the floor is how many writes per second
 * one client gets from that store. With the Direct backend and a trivial CLI, side by side with the
 * Go reference worker's Direct backend.
 *
 * <p>On the embedded API server the worker, the API server and the fake Oz server share this JVM,
 * and its JIT keeps speeding them up for several thousand tasks (on 2 CPUs the burst rate rose from
 * about 50 to about 250 tasks/s over the first 8,000): the warm-up there is {@link
 * #EMBEDDED_WARMUP} bursts, so that the figure is that of a worker that has been running, and the
 * report says how many tasks it took and what each cost.
 */
class ThroughputBench {
  static final int TASKS = BenchSize.of(1000, 20);
  static final int ROUNDS = BenchSize.of(3, 1);
  static final int EMBEDDED_WARMUP = BenchSize.of(5, 1);

  /**
   * Direct tasks each worker runs before the measured bursts: as many as the embedded no-op figure
   * takes, for the same reason: the JVM's CPU per Direct task, mostly the embedded API server's and
   * the controller's, was 21 ms after 100 and 15 ms after 5,000 (bench/README.md). The reference
   * worker gets the same, which it does not need.
   */
  static final int DIRECT_WARMUP =
      Integer.getInteger("bench.direct.warmup", EMBEDDED_WARMUP * TASKS);

  static final int FLOOR_WRITES = BenchSize.of(300, 20);
  static final int FLOOR_CLIENTS = 16;
  static final AtomicInteger UNFINISHED = new AtomicInteger();
  static final int ENV_TASKS = BenchSize.of(200, 10);
  static final Map<String, String> ENV_VARS = Map.of("GITHUB_ACCESS_TOKEN", "bench-token");

  @TempDir Path dir;

  @Test
  void noOpBackendOnTheEmbeddedApiServer() throws Exception {
    try (FakeOzServer oz = FakeOzServer.start(OurWorker.API_KEY);
        MockApi api = MockApi.startUnchecked()) {
      FrameWatch frames = FrameWatch.on(oz);
      double floor = ApiServerTasks.writesPerSecond(api.client(), "test", FLOOR_WRITES);
      double[] rates;
      int warmup;
      int requests;
      long cpuNanos;
      long allocated;
      try (OurWorker worker =
          OurWorker.start(
              api.client(), false, oz, "bench-tp", "backend:\n  direct: {}\n", new NoOpBackend())) {
        warmup = warmUp(oz, frames, "bench-tp", EMBEDDED_WARMUP * TASKS);
        int requestsBefore = api.requestCount();
        long cpuBefore = processCpuNanos();
        long allocatedBefore = allocatedBytes();
        rates = measuredRounds(oz, frames, "bench-tp", Map.of());
        cpuNanos = processCpuNanos() - cpuBefore;
        allocated = allocatedBytes() - allocatedBefore;
        requests = api.requestCount() - requestsBefore;
      }
      new BenchReport("throughput-embedded")
          .figure(
              Figure.of("throughput_noop_embedded", "tasks/s", Stats.of(rates))
                  .withFloor(Stats.of(floor), "API writes/s from one client, same server")
                  .withTarget(Target.atLeast("median", 300)))
          .fact("tasks_per_round", TASKS)
          .fact("warmup_tasks", warmup)
          .fact("api_requests_per_task", requests / (double) (TASKS * ROUNDS))
          // Worker, embedded API server and fake Oz server alike: they share the JVM.
          .fact("cpu_ms_per_task", cpuNanos / 1e6 / (TASKS * ROUNDS))
          // Steadier than CPU time from run to run on a shared machine: it counts the work done.
          .fact("allocated_kib_per_task", allocated / 1024.0 / (TASKS * ROUNDS))
          .write();
    }
  }

  @Test
  void noOpBackendOnARealApiServer() throws Exception {
    KubernetesClient client = TestCluster.connectOrSkip();
    boolean createdCrd = TestCluster.installCrd(client);
    String workerId = "bench-tp-" + UUID.randomUUID().toString().substring(0, 8);
    try (FakeOzServer oz = FakeOzServer.start(OurWorker.API_KEY)) {
      FrameWatch frames = FrameWatch.on(oz);
      double floor = ApiServerTasks.writesPerSecond(client, TestCluster.NAMESPACE, FLOOR_WRITES);
      LocalApiServer server = LocalApiServer.find();
      double serverBefore = server.cpuMs();
      double capacity =
          ApiServerTasks.writesPerSecond(
              client, TestCluster.NAMESPACE, FLOOR_WRITES * 2, FLOOR_CLIENTS);
      double serverMsPerPlainWrite = (server.cpuMs() - serverBefore) / (FLOOR_WRITES * 2);
      double serverMsPerTask;
      double[] rates;
      Map<String, Double> plain;
      Map<String, Double> withEnv;
      long cpuNanos;
      long allocated;
      try (OurWorker worker =
          OurWorker.start(
              client, true, oz, workerId, "backend:\n  direct: {}\n", new NoOpBackend())) {
        int sent = warmUp(oz, frames, workerId, Math.max(1, TASKS / 10));
        awaitReported(client, workerId, sent);
        ApiServerWrites before = ApiServerWrites.read(client);
        long cpuBefore = processCpuNanos();
        long allocatedBefore = allocatedBytes();
        double serverCpuBefore = server.cpuMs();
        rates = measuredRounds(oz, frames, workerId, Map.of());
        cpuNanos = processCpuNanos() - cpuBefore;
        allocated = allocatedBytes() - allocatedBefore;
        // Before the benchmark lists the tasks to wait for the last `reported`: each list of
        // thousands of tasks costs the server more than a task does.
        serverMsPerTask = (server.cpuMs() - serverCpuBefore) / (TASKS * ROUNDS);
        sent += TASKS * ROUNDS;
        awaitReported(client, workerId, sent);
        ApiServerWrites between = ApiServerWrites.read(client);
        plain = between.since(before);
        burst(oz, frames, workerId, workerId + "-env", ENV_TASKS, ENV_VARS);
        awaitReported(client, workerId, sent + ENV_TASKS);
        withEnv = ApiServerWrites.read(client).since(between);
      }
      double perTask = ApiServerWrites.total(plain) / (TASKS * ROUNDS);
      double perTaskWithEnv = ApiServerWrites.total(withEnv) / ENV_TASKS;
      Stats tasksPerSecond = Stats.of(rates);
      BenchReport report =
          new BenchReport("throughput-apiserver")
              .figure(
                  Figure.of("throughput_noop_apiserver", "tasks/s", tasksPerSecond)
                      .withFloor(Stats.of(floor), "API writes/s from one client, same server"))
              .figure(
                  Figure.of("api_writes_per_task", "writes", Stats.of(perTask))
                      .withTarget(Target.atMost("median", 4)))
              .figure(
                  Figure.of("api_writes_per_task_with_env_vars", "writes", Stats.of(perTaskWithEnv))
                      .withTarget(Target.atMost("median", 5)))
              .figure(
                  // What share of the server's write capacity the worker's tasks use at full speed.
                  Figure.of(
                          "apiserver_write_share",
                          "x capacity",
                          Stats.of(tasksPerSecond.median() * perTask / capacity))
                      .withTarget(Target.atLeast("median", 0.8)))
              .fact("tasks_per_round", TASKS)
              .fact("api_writes_per_second_" + FLOOR_CLIENTS + "_clients", capacity)
              .fact("unfinished_tasks", UNFINISHED.getAndSet(0))
              // This JVM (worker, client, fake Oz server) during the measured bursts; the API
              // server's own CPU is not in it. Steadier than tasks/s on a shared machine.
              .fact("cpu_ms_per_task", cpuNanos / 1e6 / (TASKS * ROUNDS))
              .fact("allocated_kib_per_task", allocated / 1024.0 / (TASKS * ROUNDS));
      if (server.isHere()) {
        // kube-apiserver and etcd, when they share this machine: what the tasks cost the server
        // during the bursts (a few `reported` writes of the last burst may come after), and
        // what a plain write does.
        report
            .fact("apiserver_cpu_ms_per_task", serverMsPerTask)
            .fact("apiserver_cpu_ms_per_plain_write", serverMsPerPlainWrite);
      }
      plain.forEach((what, n) -> report.fact("writes_per_task " + what, n / (TASKS * ROUNDS)));
      withEnv.forEach((what, n) -> report.fact("writes_per_task_env_vars " + what, n / ENV_TASKS));
      report.write();
    } finally {
      ApiServerTasks.delete(client, TestCluster.NAMESPACE, workerId);
      if (createdCrd) {
        TestCluster.removeCrd(client);
      }
      client.close();
    }
  }

  /**
   * Waits until {@code count} AgentTasks of the worker record that Oz has their result: the last
   * write a task costs, so the writes counted after it are all of the tasks before it.
   */
  private static void awaitReported(KubernetesClient client, String workerId, int count) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(BenchSize.of(300, 60)))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                client
                        .resources(AgentTask.class)
                        .inNamespace(TestCluster.NAMESPACE)
                        .withLabel(AgentTaskKeys.WORKER_ID_LABEL, workerId)
                        .list()
                        .getItems()
                        .stream()
                        .filter(
                            task ->
                                task.getStatus() != null
                                    && Boolean.TRUE.equals(task.getStatus().getReported()))
                        .count()
                    >= count);
  }

  @Test
  void directBackendWithATrivialCliSideBySide() throws Exception {
    Path cli = StandIn.install(dir.resolve("bin"));
    Optional<Path> binary = ReferenceWorkerProcess.binary();
    try (FakeOzServer oz = FakeOzServer.start(OurWorker.API_KEY);
        MockApi api = MockApi.startUnchecked()) {
      FrameWatch frames = FrameWatch.on(oz);
      double[] ours;
      ProcCpu ourCpu;
      int requests;
      try (OurWorker worker =
          OurWorker.direct(api.client(), false, oz, "bench-tpd", cli, dir.resolve("ours"))) {
        warmUp(oz, frames, "bench-tpd", DIRECT_WARMUP);
        ProcCpu before = ProcCpu.self();
        int requestsBefore = api.requestCount();
        ours = measuredRounds(oz, frames, "bench-tpd", Map.of());
        ourCpu = ProcCpu.self().since(before);
        requests = api.requestCount() - requestsBefore;
      }
      Figure figure =
          Figure.of("throughput_direct_embedded", "tasks/s", Stats.of(ours))
              .withTarget(Target.referenceTimes(0.5));
      BenchReport report =
          new BenchReport("throughput-direct")
              .fact("tasks_per_round", TASKS)
              .fact("warmup_tasks", DIRECT_WARMUP)
              .fact("api_requests_per_task", requests / (double) (TASKS * ROUNDS))
              // the whole JVM: worker, embedded API server and fake Oz server
              .fact("cpu_ms_per_task", ourCpu.ownMs() / (TASKS * ROUNDS))
              // the processes the runs started: wrapper, CLI, mkfifo, kill
              .fact("child_cpu_ms_per_task", ourCpu.childrenMs() / (TASKS * ROUNDS));
      if (binary.isPresent()) {
        try (ReferenceWorkerProcess go =
            ReferenceWorkerProcess.start(
                binary.get(),
                oz.webSocketUrl(),
                OurWorker.API_KEY,
                "bench-tpd-ref",
                cli,
                Files.createDirectories(dir.resolve("reference")))) {
          Awaitility.await()
              .atMost(Duration.ofSeconds(30))
              .until(() -> oz.isConnected("bench-tpd-ref") || !go.isAlive());
          assertThat(go.isAlive()).as("reference worker, log %s", go.log()).isTrue();
          warmUp(oz, frames, "bench-tpd-ref", DIRECT_WARMUP);
          ProcCpu before = ProcCpu.of(go.pid());
          figure =
              figure.withReference(Stats.of(measuredRounds(oz, frames, "bench-tpd-ref", Map.of())));
          ProcCpu goCpu = ProcCpu.of(go.pid()).since(before);
          report
              .fact("reference_cpu_ms_per_task", goCpu.ownMs() / (TASKS * ROUNDS))
              .fact("reference_child_cpu_ms_per_task", goCpu.childrenMs() / (TASKS * ROUNDS));
        }
      }
      report.figure(figure).write();
    }
  }

  /**
   * A warm-up burst of a tenth, then {@link #ROUNDS} bursts of {@link #TASKS}: tasks per second.
   */
  static double[] rounds(
      FakeOzServer oz, FrameWatch frames, String workerId, Map<String, String> env)
      throws Exception {
    warmUp(oz, frames, workerId, Math.max(1, TASKS / 10));
    return measuredRounds(oz, frames, workerId, env);
  }

  /** CPU time this JVM has used, all threads. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Heap this JVM has allocated so far, all threads. */
  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean)
            java.lang.management.ManagementFactory.getThreadMXBean())
        .getTotalThreadAllocatedBytes();
  }

  /** Bursts of up to {@link #TASKS} no-op tasks, {@code tasks} in all, not measured. */
  static int warmUp(FakeOzServer oz, FrameWatch frames, String workerId, int tasks)
      throws Exception {
    for (int sent = 0, burst = 0; sent < tasks; burst++) {
      int count = Math.min(TASKS, tasks - sent);
      burst(oz, frames, workerId, workerId + "-warm" + burst, count, Map.of());
      sent += count;
    }
    UNFINISHED.set(0);
    return tasks;
  }

  /** {@link #ROUNDS} bursts of {@link #TASKS}: tasks per second of each. */
  static double[] measuredRounds(
      FakeOzServer oz, FrameWatch frames, String workerId, Map<String, String> env)
      throws Exception {
    double[] rates = new double[ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
      rates[round] = burst(oz, frames, workerId, workerId + "-r" + round, TASKS, env);
    }
    return rates;
  }

  private static double burst(
      FakeOzServer oz,
      FrameWatch frames,
      String workerId,
      String prefix,
      int count,
      Map<String, String> env)
      throws Exception {
    @SuppressWarnings("unchecked")
    CompletableFuture<FakeOzServer.Frame>[] results = new CompletableFuture[count];
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      String id = prefix + "-" + i;
      results[i] = frames.result(id);
      oz.assign(workerId, assignment(id, env));
    }
    long last = start;
    int finished = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BenchSize.of(300, 30));
    for (CompletableFuture<FakeOzServer.Frame> result : results) {
      FakeOzServer.Frame frame;
      try {
        frame = result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException stuck) {
        // A figure, not a test: tasks that never finish are counted and reported, not thrown.
        continue;
      }
      assertThat(frame.type()).isEqualTo("task_completed");
      last = Math.max(last, frame.receivedNanos());
      finished++;
    }
    UNFINISHED.addAndGet(count - finished);
    if (finished < count) {
      System.out.printf(
          "throughput: %d of %d tasks of %s never finished%n", count - finished, count, prefix);
    }
    return finished == 0 ? 0 : finished / ((last - start) / 1e9);
  }
}
