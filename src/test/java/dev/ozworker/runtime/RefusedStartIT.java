package dev.ozworker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.oz.fake.FakeOzServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker jar as a real process, with a backend the reference worker refuses too: it exits
 * naming the key without ever connecting to Oz. The link dials early to overlap the start of the
 * cluster and the controller (ADR 0018), but only once the backend is made, so a worker that could
 * never run a task is never offered one.
 */
class RefusedStartIT {
  static final String API_KEY = "wk-refused-it-7d2";
  static final String WORKER = "w-refused";

  @TempDir Path root;
  FakeOzServer oz;
  Process worker;

  @BeforeEach
  void start() throws Exception {
    oz = FakeOzServer.start(API_KEY);
  }

  @AfterEach
  void stop() throws Exception {
    if (worker != null && worker.isAlive()) {
      worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    oz.close();
  }

  @Test
  void aDirectBackendWithoutItsTargetDirExitsBeforeItDials() throws Exception {
    Path missing = root.resolve("no-such-target");
    Path config = root.resolve("config.yaml");
    Files.writeString(
        config,
        """
        task_log_dir: %s
        backend:
          direct:
            workspace_root: %s
            oz_path: /bin/true
            target_dir: %s
        """
            .formatted(root.resolve("logs"), root.resolve("workspaces"), missing));
    worker =
        JarWorker.run(
                List.of(),
                config,
                oz.webSocketUrl(),
                List.of("--worker-id", WORKER),
                root,
                API_KEY,
                root.resolve("worker.log"))
            .start();

    assertThat(worker.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String log = Files.readString(root.resolve("worker.log"));
    assertThat(worker.exitValue()).as(log).isEqualTo(2);
    assertThat(log).contains("target_dir").contains(missing.toString());
    assertThat(oz.connections(WORKER)).as(log).isZero();
  }
}
