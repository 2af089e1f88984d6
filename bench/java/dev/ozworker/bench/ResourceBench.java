package dev.ozworker.bench;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.oz.fake.FakeOzServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up and memory of the worker as its own process: process start → connected to the fake Oz
 * server, and → running (the worker takes what Oz sends: our worker connects while its controller
 * starts, and holds what arrives until then; the reference is running once connected), repeated
 * with fresh processes; then resident memory and threads idle once running, and with {@link #TASKS}
 * concurrent sleeping Direct tasks. The floor is a JVM that does nothing; the reference is the Go
 * worker measured the same way. Our worker is the runnable jar's {@code run} on its embedded API
 * server, with the JVM options it has in its pod ({@link PodJvm}), as is the floor.
 */
class ResourceBench {
  static final int STARTS = BenchSize.of(5, 1);
  static final int TASKS = BenchSize.of(100, 5);
  static final int SAMPLES = 5;

  @TempDir Path dir;

  record Measured(
      double[] startMillis,
      double[] runningMillis,
      double[] idleRss,
      double[] idleThreads,
      double[] rss,
      double[] threads) {}

  @Test
  void startUpAndMemory() throws Exception {
    Path cli = StandIn.install(dir.resolve("bin"));
    PodJvm.prepareClassData();
    try (FakeOzServer oz = FakeOzServer.start(OurWorker.API_KEY);
        StartSignals signals = StartSignals.open(dir)) {
      Map<String, CompletableFuture<Long>> connected = new ConcurrentHashMap<>();
      oz.onConnect(
          id ->
              connected
                  .computeIfAbsent(id, k -> new CompletableFuture<>())
                  .complete(System.nanoTime()));
      FrameWatch frames = FrameWatch.on(oz);
      Measured floor = floor();
      Measured ours =
          measure(
              oz,
              frames,
              signals,
              connected,
              "bench-res",
              (id, d) -> {
                WorkerProcess p = WorkerProcess.worker(oz.webSocketUrl(), id, d, cli);
                return new Subject(p.pid(), p, () -> p.awaitRunning(Duration.ofSeconds(60)));
              });
      Optional<Path> binary = ReferenceWorkerProcess.binary();
      Measured reference = null;
      if (binary.isPresent()) {
        reference =
            measure(
                oz,
                frames,
                signals,
                connected,
                "bench-res-ref",
                (id, d) -> {
                  ReferenceWorkerProcess p =
                      ReferenceWorkerProcess.start(
                          binary.get(), oz.webSocketUrl(), OurWorker.API_KEY, id, cli, d);
                  return new Subject(p.pid(), p, () -> {});
                });
      }
      String jvm =
          "a JVM that does nothing (same java and pod options, not the worker's AOT cache)";
      List<Figure> figures =
          List.of(
              Figure.of("start_to_connected", "ms", Stats.of(ours.startMillis()))
                  .withFloor(Stats.of(floor.startMillis()), jvm + ": start → main")
                  .withTarget(Target.atMost("median", 800)),
              Figure.of("start_to_running", "ms", Stats.of(ours.runningMillis()))
                  .withFloor(Stats.of(floor.startMillis()), jvm + ": start → main"),
              Figure.of("rss_idle", "MiB", Stats.of(ours.idleRss()))
                  .withFloor(Stats.of(floor.idleRss()), jvm)
                  .withTarget(Target.atMost("median", 96)),
              Figure.of("threads_idle", "threads", Stats.of(ours.idleThreads()))
                  .withFloor(Stats.of(floor.idleThreads()), jvm),
              Figure.of("rss_" + TASKS + "_direct_tasks", "MiB", Stats.of(ours.rss()))
                  .withFloor(Stats.of(floor.idleRss()), jvm)
                  .withTarget(Target.atMost("max", 256)),
              Figure.of("threads_" + TASKS + "_direct_tasks", "threads", Stats.of(ours.threads()))
                  .withFloor(Stats.of(floor.idleThreads()), jvm));
      BenchReport report = new BenchReport("resources");
      for (Figure figure : figures) {
        Measured ref = reference;
        report.figure(ref == null ? figure : figure.withReference(referenceOf(figure, ref)));
      }
      report
          .fact("tasks", TASKS)
          .fact("jvm_options", String.join(" ", PodJvm.options()))
          .fact("floor_jvm_options", String.join(" ", PodJvm.floorOptions()))
          .write();
    }
  }

  private static Stats referenceOf(Figure figure, Measured reference) {
    return switch (figure.name().replaceAll("_\\d+_", "_N_")) {
      case "start_to_connected" -> Stats.of(reference.startMillis());
      case "start_to_running" -> Stats.of(reference.runningMillis());
      case "rss_idle" -> Stats.of(reference.idleRss());
      case "threads_idle" -> Stats.of(reference.idleThreads());
      case "rss_N_direct_tasks" -> Stats.of(reference.rss());
      default -> Stats.of(reference.threads());
    };
  }

  /** A started worker, and how to wait until it takes tasks. */
  record Subject(long pid, AutoCloseable process, Running running) {}

  interface Running {
    void await() throws Exception;
  }

  interface Starter {
    Subject start(String workerId, Path dir) throws Exception;
  }

  private Measured floor() throws Exception {
    double[] start = new double[STARTS];
    double[] rss = new double[STARTS];
    double[] threads = new double[STARTS];
    for (int i = 0; i < STARTS; i++) {
      long before = System.nanoTime();
      try (WorkerProcess jvm = WorkerProcess.idleJvm()) {
        jvm.awaitReadyLine();
        start[i] = (System.nanoTime() - before) / 1e6;
        ProcStatus status = jvm.status();
        rss[i] = status.rssMiB();
        threads[i] = status.threads();
      }
    }
    return new Measured(start, start, rss, threads, rss, threads);
  }

  private Measured measure(
      FakeOzServer oz,
      FrameWatch frames,
      StartSignals signals,
      Map<String, CompletableFuture<Long>> connected,
      String prefix,
      Starter starter)
      throws Exception {
    double[] start = new double[STARTS];
    double[] running = new double[STARTS];
    List<Double> idleRss = new ArrayList<>();
    List<Double> idleThreads = new ArrayList<>();
    List<Double> rss = new ArrayList<>();
    List<Double> threads = new ArrayList<>();
    for (int i = 0; i < STARTS; i++) {
      String workerId = prefix + "-" + i;
      Path workerDir = Files.createDirectories(dir.resolve(workerId));
      long before = System.nanoTime();
      Subject subject = starter.start(workerId, workerDir);
      try (AutoCloseable process = subject.process()) {
        long at =
            connected
                .computeIfAbsent(workerId, k -> new CompletableFuture<>())
                .get(60, TimeUnit.SECONDS);
        start[i] = (at - before) / 1e6;
        subject.running().await();
        running[i] = (System.nanoTime() - before) / 1e6;
        ProcStatus idle = ProcStatus.of(subject.pid());
        idleRss.add(idle.rssMiB());
        idleThreads.add((double) idle.threads());
        if (i == STARTS - 1) {
          loaded(oz, frames, signals, workerId, subject.pid(), rss, threads);
        }
      }
    }
    return new Measured(
        start, running, array(idleRss), array(idleThreads), array(rss), array(threads));
  }

  /** Starts {@link #TASKS} sleeping tasks, samples the worker, then cancels them all. */
  private static void loaded(
      FakeOzServer oz,
      FrameWatch frames,
      StartSignals signals,
      String workerId,
      long pid,
      List<Double> rss,
      List<Double> threads)
      throws Exception {
    List<String> ids = new ArrayList<>();
    for (int t = 0; t < TASKS; t++) {
      String id = workerId + "-sleep-" + t;
      ids.add(id);
      oz.assign(workerId, assignment(id, StandIn.holding(signals, id, 600)));
    }
    for (String id : ids) {
      signals.await(id);
    }
    for (int s = 0; s < SAMPLES; s++) {
      ProcStatus status = ProcStatus.of(pid);
      rss.add(status.rssMiB());
      threads.add((double) status.threads());
      // Spacing between samples of a steady state, not a wait for anything.
      Thread.sleep(200);
    }
    for (String id : ids) {
      oz.cancel(workerId, id);
    }
    for (String id : ids) {
      assertThat(FrameWatch.await(frames.result(id))).isNotNull();
    }
  }

  private static double[] array(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
