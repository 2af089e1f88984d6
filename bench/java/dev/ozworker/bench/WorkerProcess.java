package dev.ozworker.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A JVM child process for the resource figures: our worker as the runnable jar's {@code run}
 * command (embedded API server, as {@code run} without a cluster has it) or the floor ({@link
 * IdleJvmMain}), both with the JVM options of the worker's pod ({@link PodJvm}). Closing its stdin
 * ends the floor; close sends our worker SIGTERM (it drains and exits), then waits, then kills it
 * by its own handle.
 */
public final class WorkerProcess implements AutoCloseable {
  /** What {@code run} logs once the worker is assembled and takes tasks. */
  static final String RUNNING_LINE = "RunCommand - worker ";

  private final Process process;
  private final Path log;

  private WorkerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Our worker with the Direct backend running {@code ozPath}; files and log under {@code dir}. */
  public static WorkerProcess worker(URI webSocketUrl, String workerId, Path dir, Path ozPath)
      throws IOException, InterruptedException {
    Files.writeString(dir.resolve("config.yaml"), OurWorker.directYaml(ozPath, dir));
    Path log = dir.resolve("worker.log");
    List<String> command = new ArrayList<>(List.of(java()));
    command.addAll(PodJvm.workerOptions());
    command.addAll(
        List.of(
            "-jar",
            PodJvm.JAR.toAbsolutePath().toString(),
            "run",
            "--web-socket-url",
            webSocketUrl.toString(),
            "--worker-id",
            workerId,
            "--config-file",
            dir.resolve("config.yaml").toString(),
            "--http-address",
            "127.0.0.1",
            "--http-port",
            "0"));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("WARP_API_KEY", OurWorker.API_KEY);
    builder.environment().remove("KUBECONFIG");
    builder.environment().put("HOME", Files.createDirectories(dir.resolve("home")).toString());
    return new WorkerProcess(builder.start(), log);
  }

  /** A JVM doing nothing but saying it is up: reads its first line before returning. */
  public static WorkerProcess idleJvm() throws IOException {
    List<String> command = new ArrayList<>(List.of(java()));
    command.addAll(PodJvm.floorOptions());
    command.addAll(
        List.of("-cp", System.getProperty("java.class.path"), IdleJvmMain.class.getName()));
    Process process =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    return new WorkerProcess(process, null);
  }

  /** For {@link #idleJvm()}: blocks until it printed its first line. */
  public void awaitReadyLine() throws IOException {
    if (process.inputReader().readLine() == null) {
      throw new IOException("the idle JVM ended before saying it was up");
    }
  }

  /**
   * Waits until our worker logs that it runs: the controller started, its tasks listed, the intake
   * taking what Oz sends. The link may be connected before that, while the rest starts.
   */
  public void awaitRunning(Duration deadline) {
    Awaitility.await("the worker's line that it runs, in " + log)
        .atMost(deadline)
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IOException("the worker exited before it ran; its log is " + log);
              }
              return Files.readString(log).contains(RUNNING_LINE);
            });
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public ProcStatus status() throws IOException {
    return ProcStatus.of(process.pid());
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  @Override
  public void close() throws Exception {
    process.getOutputStream().close();
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
