package dev.ozworker.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.observe.Redactor;
import java.nio.file.Path;
import java.time.Duration;
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
    long started = System.nanoTime();
    DemoRun demo = DemoRun.of(home, "--log-level", "info");
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    String shown = demo.out();
    assertThat(demo.status()).as(shown + demo.err()).isZero();
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
    assertThat(shown + demo.err() + demo.logs()).doesNotContain("demo-secret-");
    assertThat(demo.taskLogs())
        .contains("demo agent: signing in with token " + Redactor.MASK)
        .doesNotContain("demo-secret-");
  }
}
