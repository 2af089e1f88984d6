package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import dev.ozworker.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Docker engine of the test's own, to restart at will (the machine's shared engine is never
 * touched): its own data root, exec root (with its own managed containerd), pid file and socket, a
 * bridge of its own and no iptables, and {@code --live-restore} off, so that stopping it stops its
 * containers as a real engine restart does. Stopped by its recorded pid.
 *
 * <p>Not {@code --bridge=none}: an engine started with the bridge disabled deletes the interface
 * {@code docker0} on start, which belongs to the shared engine and breaks every container and build
 * step there that has a network. The bridge made here carries a TEST-NET-1 address (RFC 5737) and
 * no container of this engine uses it: its tasks run with {@code --network none}.
 */
final class PrivateDockerd implements AutoCloseable {
  static final Duration READY = Duration.ofSeconds(90);
  private static final java.util.concurrent.atomic.AtomicInteger SEQUENCE =
      new java.util.concurrent.atomic.AtomicInteger();

  private final Path dir;
  private final String bridge;
  private Process process;
  private int starts;

  private PrivateDockerd(Path dir, String bridge) {
    this.dir = dir;
    this.bridge = bridge;
  }

  /** Starts an engine under a fresh short directory (socket paths are limited to 108 bytes). */
  static PrivateDockerd start() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "ozfd");
    // Interface names hold at most 15 bytes.
    String bridge =
        "ozfd%x-%d"
            .formatted(ProcessHandle.current().pid() & 0xfffff, SEQUENCE.incrementAndGet() % 100);
    ip("link", "add", "name", bridge, "type", "bridge");
    PrivateDockerd engine = new PrivateDockerd(dir, bridge);
    try {
      ip("addr", "add", "192.0.2.1/24", "dev", bridge);
      engine.startEngine();
    } catch (IOException | RuntimeException e) {
      engine.close();
      throw e;
    }
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
            "--bridge=" + bridge,
            "--ip-masq=false",
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

  private static void ip(String... args) throws IOException {
    List<String> command = new java.util.ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    try {
      Command ip = Command.run(Path.of(""), Duration.ofSeconds(30), command);
      if (ip.status() != 0) {
        throw new IOException(
            String.join(" ", command) + " failed: " + (ip.out() + ip.err()).strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
  }

  /** Stops the engine, removes its bridge and its directories. */
  @Override
  public void close() throws IOException, InterruptedException {
    stopEngine();
    ip("link", "delete", bridge);
    // the engine's mounts under the exec root are gone with it; vfs layers are plain files
    Command.run(Duration.ofSeconds(60), "rm", "-rf", dir.toString());
  }
}
