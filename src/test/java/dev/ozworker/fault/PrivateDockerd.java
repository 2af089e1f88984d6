package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Docker engine of the test's own, to restart at will (the machine's shared engine is never
 * touched): its own data root, exec root (with its own managed containerd), pid file and socket, no
 * bridge and no iptables, and {@code --live-restore} off, so that stopping it stops its containers
 * as a real engine restart does. Stopped by its recorded pid.
 */
final class PrivateDockerd implements AutoCloseable {
  static final Duration READY = Duration.ofSeconds(90);

  private final Path dir;
  private Process process;
  private int starts;

  private PrivateDockerd(Path dir) {
    this.dir = dir;
  }

  /** Starts an engine under a fresh short directory (socket paths are limited to 108 bytes). */
  static PrivateDockerd start() throws IOException {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "ozfd");
    PrivateDockerd engine = new PrivateDockerd(dir);
    engine.startEngine();
    return engine;
  }

  String host() {
    return "unix://" + dir.resolve("docker.sock");
  }

  /** Stops the engine (SIGTERM to its pid, as a service manager would) and starts it again. */
  void restart() throws IOException, InterruptedException {
    stopEngine();
    startEngine();
  }

  private void startEngine() throws IOException {
    starts++;
    List<String> command =
        List.of(
            "dockerd",
            "--data-root=" + dir.resolve("data"),
            "--exec-root=" + dir.resolve("exec"),
            "--pidfile=" + dir.resolve("dockerd.pid"),
            "--host=" + host(),
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "--storage-driver=vfs",
            "--containerd-namespace=ozfault",
            "--containerd-plugins-namespace=ozfault-plugins",
            "--log-level=warn");
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(
                java.lang.ProcessBuilder.Redirect.appendTo(dir.resolve("dockerd.log").toFile()))
            .start();
    Process started = process;
    await()
        .atMost(READY)
        .pollInterval(Duration.ofMillis(100))
        .failFast("dockerd exited; see " + dir.resolve("dockerd.log"), () -> !started.isAlive())
        .until(this::answers);
  }

  private boolean answers() throws InterruptedException {
    try {
      FaultImage.Docker.run(host(), "version", "--format", "{{.Server.Version}}");
      return true;
    } catch (IOException notYet) {
      return false;
    }
  }

  private void stopEngine() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  int starts() {
    return starts;
  }

  /** Stops the engine and removes its directories. */
  @Override
  public void close() throws IOException, InterruptedException {
    stopEngine();
    // the engine's mounts under the exec root are gone with it; vfs layers are plain files
    new ProcessBuilder("rm", "-rf", dir.toString())
        .inheritIO()
        .start()
        .waitFor(60, TimeUnit.SECONDS);
  }
}
