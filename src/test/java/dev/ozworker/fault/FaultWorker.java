package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.runtime.JarWorker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The worker jar as a real process ({@code java -jar target/oz-worker-operator.jar run}), started
 * again and again under the same worker id with the same config: each generation logs to a file of
 * its own and is stopped by its recorded process, with SIGKILL ({@link #kill}) or SIGTERM ({@link
 * #stop}).
 */
final class FaultWorker implements AutoCloseable {
  static final String API_KEY = "wk-fault-suite-7d1";
  static final Duration START = Duration.ofSeconds(90);
  static final Path ARCHIVE = Path.of("target", "fault-suite", "worker.jsa");

  private final Path root;
  private final String workerId;
  private final Path config;
  private final FakeOzServer oz;
  private final Map<String, String> extraEnv;
  private final List<String> extraArgs;
  private Process process;
  private int generation;
  private List<String> nextOptions = List.of();

  /**
   * @param config the worker's YAML (worker id, namespace and backend)
   * @param extraEnv added to the worker's minimal environment (say DOCKER_HOST, KUBECONFIG)
   */
  FaultWorker(
      Path root,
      String workerId,
      Path config,
      FakeOzServer oz,
      Map<String, String> extraEnv,
      List<String> extraArgs) {
    this.root = root;
    this.workerId = workerId;
    this.config = config;
    this.oz = oz;
    this.extraEnv = extraEnv;
    this.extraArgs = extraArgs;
  }

  String workerId() {
    return workerId;
  }

  /**
   * Starts the next generation and waits until it has opened a new connection to Oz and says it
   * runs, which it says once SIGTERM drains it: stopped before, it exits 143 without a drain, and
   * it may well have done a task's work by then. Only one generation runs at a time: two processes
   * of one worker id would both take its tasks.
   *
   * @throws IllegalStateException while the current generation still runs
   */
  void start() throws IOException {
    if (isAlive()) {
      throw new IllegalStateException(
          "generation " + generation + " still runs: stop or kill it before starting another");
    }
    int connectionsBefore = oz.connections(workerId);
    generation++;
    List<String> options = new ArrayList<>(nextOptions);
    nextOptions = List.of();
    options.addAll(
        List.of(
            "-XX:TieredStopAtLevel=1",
            // Class data of earlier generations: a third less start time on a loaded machine,
            // and the suite starts the worker over fifty times. Written at a graceful exit.
            "-XX:+AutoCreateSharedArchive",
            "-XX:SharedArchiveFile=" + ARCHIVE.toAbsolutePath(),
            "-Xlog:cds=off",
            "-Xlog:cds+dynamic=off"));
    List<String> args = new ArrayList<>(List.of("--http-address", "127.0.0.1", "--http-port", "0"));
    args.addAll(extraArgs);
    ProcessBuilder builder =
        JarWorker.run(options, config, oz.webSocketUrl(), args, root, API_KEY, log());
    builder.environment().putAll(extraEnv);
    process = builder.start();
    Process started = process;
    String running = "worker " + workerId + " running in namespace";
    await()
        .atMost(START)
        .pollInterval(Duration.ofMillis(50))
        .failFast("the worker exited; see " + log(), () -> !started.isAlive())
        .until(
            () ->
                oz.connections(workerId) > connectionsBefore
                    && oz.isConnected(workerId)
                    && logText().contains(running));
  }

  /**
   * Starts a generation and stops it gracefully when no class-data archive exists yet, so that the
   * JVM writes one (a killed JVM writes none) for every later start.
   */
  void warmUp() throws IOException, InterruptedException {
    // one writer: workers started side by side wait for the first archive instead of racing on it
    synchronized (FaultWorker.class) {
      if (!Files.exists(ARCHIVE)) {
        Files.createDirectories(ARCHIVE.getParent());
        start();
        stop(Duration.ofSeconds(60));
      }
    }
  }

  /**
   * Gives the next generation (only) extra JVM options, say the debug agent of a {@link
   * FaultBreakpoint} that holds it at a chosen call.
   */
  void startNextWith(List<String> jvmOptions) {
    nextOptions = List.copyOf(jvmOptions);
  }

  /** SIGKILL, as {@code kill -9}: the JVM gets no chance to run anything. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("worker process " + process.pid() + " survived SIGKILL");
    }
  }

  /** SIGTERM, then waits for the drain to end; returns the exit status. */
  int stop(Duration within) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IllegalStateException(
          "the worker did not stop within " + within + "; see " + log());
    }
    return process.exitValue();
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  int generations() {
    return generation;
  }

  /** The log of the current generation. */
  Path log() {
    return logOf(generation);
  }

  /** The logs of every generation so far, oldest first. */
  List<Path> logs() {
    List<Path> logs = new ArrayList<>();
    for (int g = 1; g <= generation; g++) {
      logs.add(logOf(g));
    }
    return logs;
  }

  private Path logOf(int g) {
    return root.resolve("worker-" + workerId + "-" + g + ".log");
  }

  String logText() {
    try {
      return Files.readString(log());
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }
}
