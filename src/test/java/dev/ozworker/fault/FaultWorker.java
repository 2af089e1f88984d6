package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import dev.ozworker.oz.fake.FakeOzServer;
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
  private List<String> nextPrefix = List.of();

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

  /** Starts the next generation and waits until it has opened a new connection to Oz. */
  void start() throws IOException {
    int connectionsBefore = oz.connections(workerId);
    generation++;
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>(nextPrefix);
    nextPrefix = List.of();
    command.addAll(
        List.of(
            java.toString(),
            "-XX:TieredStopAtLevel=1",
            // Class data of earlier generations: a third less start time on a loaded machine,
            // and the suite starts the worker over fifty times. Written at a graceful exit.
            "-XX:+AutoCreateSharedArchive",
            "-XX:SharedArchiveFile=" + ARCHIVE.toAbsolutePath(),
            "-Xlog:cds=off",
            "-Xlog:cds+dynamic=off",
            "-jar",
            Path.of("target", "oz-worker-operator.jar").toAbsolutePath().toString(),
            "run",
            "--config-file",
            config.toString(),
            "--web-socket-url",
            oz.webSocketUrl().toString(),
            "--http-address",
            "127.0.0.1",
            "--http-port",
            "0"));
    command.addAll(extraArgs);
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log().toFile());
    Map<String, String> env = builder.environment();
    env.clear();
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    env.put("HOME", Files.createDirectories(root.resolve("home")).toString());
    env.put("TMPDIR", root.toString());
    env.put("WARP_API_KEY", API_KEY);
    env.putAll(extraEnv);
    process = builder.start();
    Process started = process;
    await()
        .atMost(START)
        .pollInterval(Duration.ofMillis(50))
        .failFast("the worker exited; see " + log(), () -> !started.isAlive())
        .until(() -> oz.connections(workerId) > connectionsBefore && oz.isConnected(workerId));
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
   * Runs the next generation under {@code prefix} (say strace, which kills it at a chosen system
   * call): the command line starts with it.
   */
  void startNextUnder(List<String> prefix) {
    nextPrefix = List.copyOf(prefix);
  }

  /** Waits until the current generation has died of itself, within {@code within}. */
  void awaitDeath(Duration within) throws InterruptedException {
    if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          "worker process " + process.pid() + " still runs after " + within + "; see " + log());
    }
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
    return root.resolve("worker-" + workerId + "-" + generation + ".log");
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
    if (process != null) {
      // a worker started under a tracer is its child: stopped first, by its handle
      process.descendants().forEach(ProcessHandle::destroyForcibly);
    }
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }
}
