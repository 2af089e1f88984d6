package dev.ozworker.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM child process for the resource figures: our worker as the runnable jar's {@code run}
 * command (embedded API server, as {@code run} without a cluster has it) or the floor ({@link
 * IdleJvmMain}). Closing its stdin ends the floor; close sends our worker SIGTERM (it drains and
 * exits), then waits, then kills it by its own handle.
 */
public final class WorkerProcess implements AutoCloseable {
  private static final Pattern SERVING =
      Pattern.compile("serving /metrics, /healthz and /readyz on [^ ]+:(\\d+)");

  private final Process process;
  private final CompletableFuture<Long> ready = new CompletableFuture<>();

  private WorkerProcess(Process process) {
    this.process = process;
  }

  /** Our worker with the Direct backend running {@code ozPath}; files and log under {@code dir}. */
  public static WorkerProcess worker(URI webSocketUrl, String workerId, Path dir, Path ozPath)
      throws IOException {
    Files.writeString(dir.resolve("config.yaml"), OurWorker.directYaml(ozPath, dir));
    Path log = dir.resolve("worker.log");
    List<String> command =
        List.of(
            java(),
            "-jar",
            Path.of("target", "oz-worker-operator.jar").toAbsolutePath().toString(),
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
            "0");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("WARP_API_KEY", OurWorker.API_KEY);
    builder.environment().remove("KUBECONFIG");
    builder.environment().put("HOME", Files.createDirectories(dir.resolve("home")).toString());
    WorkerProcess worker = new WorkerProcess(builder.start());
    Thread.ofVirtual().name("bench-readyz-" + workerId).start(() -> worker.watchReady(log));
    return worker;
  }

  /**
   * When (nanoTime) {@code /readyz} first answered 200. Probed every 5 ms, the only way to see it
   * from outside: the figure's resolution.
   */
  public CompletableFuture<Long> ready() {
    return ready;
  }

  private void watchReady(Path log) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    URI readyz = null;
    try {
      while (process.isAlive() && !ready.isDone()) {
        if (readyz == null) {
          Matcher serving = SERVING.matcher(Files.exists(log) ? Files.readString(log) : "");
          if (serving.find()) {
            readyz = URI.create("http://127.0.0.1:" + serving.group(1) + "/readyz");
          }
        }
        if (readyz != null && answersOk(http, readyz)) {
          ready.complete(System.nanoTime());
        }
        // The probe interval: an outside view of readiness has no signal to wait on.
        Thread.sleep(5);
      }
    } catch (IOException | RuntimeException e) {
      ready.completeExceptionally(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ready.completeExceptionally(new IOException("the worker ended before /readyz answered 200"));
  }

  private static boolean answersOk(HttpClient http, URI uri) throws InterruptedException {
    try {
      return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException notYet) {
      return false;
    }
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
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
