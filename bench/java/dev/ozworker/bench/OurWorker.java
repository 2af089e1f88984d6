package dev.ozworker.bench;

import dev.ozworker.backend.Backend;
import dev.ozworker.backend.direct.DirectBackend;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.runtime.WorkerRuntime;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;

/**
 * Our worker in this JVM, connected to the fake Oz server: {@link WorkerRuntime} on the given API
 * server with one backend. Closing it closes the runtime, then the backend.
 */
public record OurWorker(WorkerRuntime runtime, Backend backend) implements AutoCloseable {
  public static final String API_KEY = "bench-key";

  // The mock API server logs every request through java.util.logging: its cost is the test
  // server's, not the worker's. Held here so the logger (and its level) is not collected.
  static final java.util.logging.Logger MOCK_SERVER_LOG = quiet("io.fabric8.mockwebserver");

  static java.util.logging.Logger quiet(String name) {
    java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
    logger.setLevel(java.util.logging.Level.WARNING);
    return logger;
  }

  /**
   * A worker with {@code backend}, configured by {@code backendYaml} (the {@code backend:} key).
   */
  public static OurWorker start(
      KubernetesClient client,
      boolean serverSideApply,
      FakeOzServer oz,
      String workerId,
      String backendYaml,
      Backend backend)
      throws Exception {
    OurWorker worker =
        start(client, serverSideApply, oz.webSocketUrl(), workerId, backendYaml, backend);
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> oz.isConnected(workerId));
    return worker;
  }

  /** The same without waiting for the connection. */
  public static OurWorker start(
      KubernetesClient client,
      boolean serverSideApply,
      URI webSocketUrl,
      String workerId,
      String backendYaml,
      Backend backend)
      throws Exception {
    WorkerConfig config = config(webSocketUrl, workerId, backendYaml);
    WorkerRuntime runtime =
        WorkerRuntime.start(
            client,
            config,
            List.of(backend),
            Clock.systemUTC(),
            serverSideApply,
            LinkTimings.DEFAULT);
    return new OurWorker(runtime, backend);
  }

  /** A worker with the Direct backend running {@code ozPath}, its files under {@code dir}. */
  public static OurWorker direct(
      KubernetesClient client,
      boolean serverSideApply,
      FakeOzServer oz,
      String workerId,
      Path ozPath,
      Path dir)
      throws Exception {
    OurWorker worker = direct(client, serverSideApply, oz.webSocketUrl(), workerId, ozPath, dir);
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> oz.isConnected(workerId));
    return worker;
  }

  /** The same without waiting for the connection. */
  public static OurWorker direct(
      KubernetesClient client,
      boolean serverSideApply,
      URI webSocketUrl,
      String workerId,
      Path ozPath,
      Path dir)
      throws Exception {
    WorkerConfig config = config(webSocketUrl, workerId, directYaml(ozPath, dir));
    DirectBackend backend = DirectBackend.create(config, hostEnv(dir));
    return start(client, serverSideApply, webSocketUrl, workerId, directYaml(ozPath, dir), backend);
  }

  /**
   * The {@code backend:} and log settings of a Direct worker whose files live under {@code dir}.
   */
  public static String directYaml(Path ozPath, Path dir) {
    return """
    task_log_dir: %s
    backend:
      direct:
        workspace_root: %s
        oz_path: %s
    """
        .formatted(dir.resolve("logs"), dir.resolve("workspaces"), ozPath);
  }

  /** What a Direct backend inherits from the worker's environment, kept inside {@code dir}. */
  public static Map<String, String> hostEnv(Path dir) throws java.io.IOException {
    return Map.of(
        "HOME", Files.createDirectories(dir.resolve("home")).toString(),
        "TMPDIR", dir.toString(),
        "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"),
        "WARP_API_KEY", API_KEY);
  }

  /** The configuration of a worker connecting to {@code webSocketUrl} with {@code backendYaml}. */
  public static WorkerConfig config(URI webSocketUrl, String workerId, String backendYaml)
      throws Exception {
    return WorkerConfigs.resolve(
        "worker_id: " + workerId + "\n" + backendYaml,
        Map.of("WARP_API_KEY", API_KEY),
        "--web-socket-url",
        webSocketUrl.toString());
  }

  @Override
  public void close() throws Exception {
    runtime.close();
    backend.close();
  }
}
