package dev.ozworker.runtime;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.intake.ResultMessages;
import dev.ozworker.intake.TaskIntake;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker jar as a real process ({@code run} on the embedded API server, the Direct backend and
 * the stand-in CLI), stopped with SIGTERM while two tasks run: the one that finishes in time is
 * reported as done, the other is stopped as graceful_shutdown after its drain deadline and torn
 * down, a new assignment is rejected, the link closes with 1000 and the process exits 0 within the
 * grace period.
 */
class GracefulDrainIT {
  static final String API_KEY = "wk-drain-it-51c";
  static final String WORKER = "w-drain";
  static final Duration GRACE = Duration.ofSeconds(12);
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path root;
  FakeOzServer oz;
  Process worker;
  Path records;

  @BeforeEach
  void start() throws Exception {
    oz = FakeOzServer.start(API_KEY);
    records = Files.createDirectories(root.resolve("records"));
  }

  @AfterEach
  void stop() throws Exception {
    if (worker != null && worker.isAlive()) {
      worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    oz.close();
  }

  @Test
  void onSigtermFinishedWorkIsReportedTheRestStopsAsGracefulShutdownAndTheWorkerExitsZero()
      throws Exception {
    worker = startWorker();
    await().atMost(WAIT).until(() -> oz.isConnected(WORKER));
    Path release = root.resolve("release-short");
    oz.assign(WORKER, assignment("task-short", standIn("task-short", release)));
    oz.assign(WORKER, assignment("task-long", standIn("task-long", root.resolve("never"))));
    await()
        .atMost(WAIT)
        .until(
            () ->
                Files.exists(records.resolve("task-short/argv"))
                    && Files.exists(records.resolve("task-long/argv")));

    // While it runs, the jar serves its probes and metrics on the port it logged.
    URI http = URI.create("http://127.0.0.1:" + httpPort() + "/");
    assertThat(get(http.resolve("healthz")).statusCode()).isEqualTo(200);
    await().atMost(WAIT).until(() -> get(http.resolve("readyz")).statusCode() == 200);
    assertThat(get(http.resolve("metrics")).body())
        .contains("oz_worker_connected 1.0")
        .contains("oz_worker_tasks_active 2.0");

    long signalled = System.nanoTime();
    worker.destroy(); // SIGTERM
    await().atMost(WAIT).until(() -> workerLog().contains("shutting down: taking no new tasks"));
    oz.assign(WORKER, assignment("task-late"));
    Files.createFile(release);

    assertThat(worker.waitFor(GRACE.toSeconds() + 5, TimeUnit.SECONDS)).isTrue();
    Duration took = Duration.ofNanos(System.nanoTime() - signalled);
    assertThat(worker.exitValue()).as(workerLog()).isZero();
    assertThat(took).isLessThan(GRACE);

    assertThat(oz.framesAbout("task-short", "task_completed")).hasSize(1);
    List<Frame> stopped = oz.framesAbout("task-long", "task_failed");
    assertThat(stopped).hasSize(1);
    assertThat(stopped.getFirst().data().path("failure_reason").asText())
        .isEqualTo("graceful_shutdown");
    assertThat(stopped.getFirst().data().path("message").asText())
        .isEqualTo(ResultMessages.INTERRUPTED_MESSAGE);
    assertThat(root.resolve("teardown-ran-task-long")).exists();
    assertThat(root.resolve("teardown-ran-task-short")).exists();
    assertThat(oz.framesAbout("task-late", "task_rejected"))
        .singleElement()
        .satisfies(
            frame ->
                assertThat(frame.data().path("reason").asText())
                    .isEqualTo(TaskIntake.SHUTTING_DOWN));
    assertThat(oz.framesAbout("task-late", "task_claimed")).isEmpty();
    await().atMost(WAIT).until(() -> !oz.closeCodes(WORKER).isEmpty());
    assertThat(oz.closeCodes(WORKER)).containsExactly(1000);
    assertThat(workerLog())
        .contains("state is in memory only")
        .contains("stopping 1 unfinished tasks as graceful_shutdown")
        .doesNotContain("not delivered");
  }

  Map<String, String> standIn(String taskId, Path waitFor) {
    return Map.of(
        "STANDIN_WAIT_FOR", waitFor.toString(),
        "STANDIN_RECORDS", records.resolve(taskId).toString());
  }

  Process startWorker() throws Exception {
    Path ozCli = root.resolve("bin/oz");
    Files.createDirectories(ozCli.getParent());
    try (InputStream script =
        getClass().getResourceAsStream("/dev/ozworker/backend/direct/oz-standin.sh")) {
      Files.write(ozCli, script.readAllBytes());
    }
    Files.setPosixFilePermissions(ozCli, PosixFilePermissions.fromString("rwx------"));
    Path config = root.resolve("worker.yaml");
    Files.writeString(
        config,
        """
        task_log_dir: %s
        cancel_grace_period: 2s
        backend:
          direct:
            workspace_root: %s
            oz_path: %s
            teardown_command: touch "%s/teardown-ran-$OZ_RUN_ID"
        """
            .formatted(root.resolve("logs"), root.resolve("workspaces"), ozCli, root));
    ProcessBuilder builder =
        JarWorker.run(
            List.of(),
            config,
            oz.webSocketUrl(),
            List.of(
                "--shutdown-grace-period",
                GRACE.toSeconds() + "s",
                "--http-address",
                "127.0.0.1",
                "--http-port",
                "0"),
            root,
            API_KEY,
            root.resolve("worker.log"));
    builder.environment().put("POD_NAME", WORKER);
    return builder.start();
  }

  int httpPort() {
    Pattern served = Pattern.compile("/readyz on 127\\.0\\.0\\.1:(\\d+);");
    await().atMost(WAIT).until(() -> served.matcher(workerLog()).find());
    Matcher port = served.matcher(workerLog());
    assertThat(port.find()).isTrue();
    return Integer.parseInt(port.group(1));
  }

  static HttpResponse<String> get(URI uri) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  String workerLog() {
    try {
      return Files.readString(root.resolve("worker.log"));
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
