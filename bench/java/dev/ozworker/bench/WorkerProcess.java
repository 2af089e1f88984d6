package dev.ozworker.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM child process for the resource figures: our worker ({@link BenchWorkerMain}) or the floor
 * ({@link IdleJvmMain}), on this JVM's classpath. Closing its stdin ends it; close waits, then
 * kills it by its own handle.
 *
 * <p>The hook for the runnable jar: with {@code -Dbench.worker=jar} our worker is started as {@code
 * java -jar target/oz-worker-operator.jar run …} (the {@code run} command with its embedded API
 * server) instead of {@link BenchWorkerMain}; the figures are taken the same way.
 */
public final class WorkerProcess implements AutoCloseable {
  private final Process process;

  private WorkerProcess(Process process) {
    this.process = process;
  }

  /** Our worker with the Direct backend running {@code ozPath}; files and log under {@code dir}. */
  public static WorkerProcess worker(URI webSocketUrl, String workerId, Path dir, Path ozPath)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(java()));
    if ("jar".equals(System.getProperty("bench.worker"))) {
      java.nio.file.Files.writeString(
          dir.resolve("config.yaml"), OurWorker.directYaml(ozPath, dir));
      command.addAll(
          List.of(
              "-jar",
              Path.of("target", "oz-worker-operator.jar").toAbsolutePath().toString(),
              "run",
              "--web-socket-url",
              webSocketUrl.toString(),
              "--worker-id",
              workerId,
              "--config-file",
              dir.resolve("config.yaml").toString(),
              "--http-port",
              "0"));
    } else {
      command.addAll(
          List.of(
              "-cp",
              System.getProperty("java.class.path"),
              BenchWorkerMain.class.getName(),
              webSocketUrl.toString(),
              workerId,
              dir.toString(),
              ozPath.toString()));
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("worker.log").toFile());
    builder.environment().put("WARP_API_KEY", OurWorker.API_KEY);
    builder.environment().remove("KUBECONFIG");
    return new WorkerProcess(builder.start());
  }

  /** A JVM doing nothing but saying it is up: reads its first line before returning. */
  public static WorkerProcess idleJvm() throws IOException {
    Process process =
        new ProcessBuilder(
                java(), "-cp", System.getProperty("java.class.path"), IdleJvmMain.class.getName())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    return new WorkerProcess(process);
  }

  /** For {@link #idleJvm()}: blocks until it printed its first line. */
  public void awaitReadyLine() throws IOException {
    if (process.inputReader().readLine() == null) {
      throw new IOException("the idle JVM ended before saying it was up");
    }
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
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
