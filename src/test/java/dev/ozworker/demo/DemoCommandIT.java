package dev.ozworker.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.Main;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.observe.Redactor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo, run in this process as {@code oz-worker-operator demo} would run it: the embedded API
 * server, the Direct backend with the bundled stand-in agent (real processes), the demo Oz
 * endpoint. Every task ends as expected, the summary says so, and the secret the demo passes in
 * env_vars shows nowhere but masked in the task's log.
 */
class DemoCommandIT {
  @TempDir Path home;

  @Test
  void theDemoEndsEveryTaskAsExpectedAndNeverShowsItsSecret() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    env.put("HOME", home.toString());
    env.put("TMPDIR", home.toString());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status;
    String logs;
    long started = System.nanoTime();
    try (LogCapture capture = LogCapture.start()) {
      status =
          Main.execute(
              new String[] {"demo", "--log-level", "info"},
              env,
              home,
              new PrintWriter(out, true),
              new PrintWriter(err));
      logs = capture.text();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    String shown = out.toString();
    assertThat(status).as(shown + err).isZero();
    assertThat(took).isLessThan(Duration.ofSeconds(60));
    assertThat(shown)
        .contains("NAME", "PHASE", "TITLE", "WORKER", "EXIT", "REASON", "AGE")
        .containsPattern("→ task_assignment +demo-ok-")
        .containsPattern("← task_claimed +demo-ok-")
        .containsPattern("→ task_cancellation +demo-cancel-")
        .containsPattern(
            "← task_failed +demo-fail-\\S+ +failure_reason=agent_invocation +exit_code=3")
        .containsPattern("← task_completed +demo-cancel-\\S+ +task_state=CANCELLED")
        .containsPattern(
            "demo-fail-\\S+ +Failed +Fails with exit code 3 +demo-worker +3 +agent_invocation")
        .containsPattern("hello +Succeeded +Succeeded +0 +\\(none: not from Oz\\) +yes")
        .containsPattern("demo-cancel-\\S+ +Cancelled +Cancelled +- +task_completed CANCELLED +yes")
        .contains("Every task ended as expected.")
        .as("no kubectl reaches the embedded API server")
        .doesNotContain("watch with", "kubectl");
    assertThat(shown + err + logs).doesNotContain("demo-secret-");

    Matcher logDir = Pattern.compile("Task logs \\(secrets masked\\): (\\S+)").matcher(shown);
    assertThat(logDir.find()).isTrue();
    try (Stream<Path> files = Files.walk(Path.of(logDir.group(1))).filter(Files::isRegularFile)) {
      String taskLogs =
          files
              .map(
                  file -> {
                    try {
                      return Files.readString(file);
                    } catch (java.io.IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  })
              .reduce("", String::concat);
      assertThat(taskLogs)
          .contains("demo agent: signing in with token " + Redactor.MASK)
          .doesNotContain("demo-secret-");
    }
  }
}
