package dev.ozworker.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.kube.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo against a real API server ({@code --kubeconfig}, kube-local in CI): the same tasks end
 * the same way in namespace oz-demo; the command it prints to watch them works the moment it is
 * printed; and it removes the AgentTasks it created, or with {@code --keep} leaves those that ended
 * for kubectl, with no worker, run or finalizer left behind.
 */
class DemoApiServerIT {
  static final String WATCH = "  watch with: kubectl get at -n oz-demo -w";

  @TempDir Path home;

  @Test
  void theDemoRunsOnARealClusterAndRemovesWhatItCreated() {
    try (KubernetesClient client = TestCluster.connectOrSkip()) {
      WatchCheck watch = new WatchCheck();
      DemoRun demo = DemoRun.of(home, watch, "--kubeconfig", System.getenv("KUBECONFIG"));

      assertThat(demo.status()).as(demo.out() + demo.err()).isZero();
      watch.assertTheCommandWorkedWhenPrinted();
      assertThat(demo.out())
          .contains("the cluster of kubeconfig", "namespace oz-demo")
          .contains("Every task ended as expected.")
          .contains("Removed the demo's 4 AgentTasks from namespace oz-demo")
          .doesNotContain("demo-secret-", "Kept the demo's");
      String ok = "demo-ok-" + suffix(demo);
      assertThat(client.resources(AgentTask.class).inNamespace("oz-demo").withName(ok).get())
          .isNull();
    }
  }

  @Test
  void withKeepTheTasksStayDescribableInTheirFinalPhasesAndDeleteWithoutAWorker() {
    try (KubernetesClient client = TestCluster.connectOrSkip()) {
      var tasks = client.resources(AgentTask.class).inNamespace("oz-demo");
      WatchCheck watch = new WatchCheck();
      DemoRun demo = DemoRun.of(home, watch, "--kubeconfig", System.getenv("KUBECONFIG"), "--keep");
      Map<String, AgentTaskPhase> made = new HashMap<>();
      try {
        String suffix = suffix(demo);
        made.put("demo-ok-" + suffix, AgentTaskPhase.Succeeded);
        made.put("demo-fail-" + suffix, AgentTaskPhase.Failed);
        made.put("demo-cancel-" + suffix, AgentTaskPhase.Cancelled);
        made.put(
            demo.printed("applied examples/agenttask-hello.yaml as AgentTask (\\S+)"),
            AgentTaskPhase.Succeeded);
        assertThat(demo.status()).as(demo.out() + demo.err()).isZero();
        watch.assertTheCommandWorkedWhenPrinted();
        assertThat(demo.out())
            .contains("Every task ended as expected.")
            .contains(
                "Kept the demo's 4 AgentTasks in namespace oz-demo (with their Secrets and"
                    + " Events); the worker has stopped. Look at them with:\n"
                    + "  kubectl get at -n oz-demo\n"
                    + "  kubectl describe at -n oz-demo demo-fail-"
                    + suffix
                    + "\n",
                "  kubectl delete namespace oz-demo\n")
            .doesNotContain("Removed", "demo-secret-");
        made.forEach(
            (name, phase) -> {
              AgentTask kept = tasks.withName(name).get();
              assertThat(kept).as(name).isNotNull();
              assertThat(kept.getStatus().getPhase()).as(name).isEqualTo(phase);
              assertThat(kept.getMetadata().getFinalizers())
                  .as("%s: no worker is left to let it go", name)
                  .doesNotContain(AgentTaskKeys.FINALIZER);
            });
        String secret =
            tasks.withName("demo-ok-" + suffix).get().getSpec().getEnvFrom().secretName();
        assertThat(client.secrets().inNamespace("oz-demo").withName(secret).get())
            .as("the task's Secret stays with it")
            .isNotNull();

        String described =
            String.join("\n", kubectl("describe", "at", "-n", "oz-demo", "demo-fail-" + suffix));
        assertThat(described)
            .contains("Phase:", "Failed", "Exit Code:", "agent_invocation")
            .containsPattern("Warning +Failed");
        assertThat(kubectl("get", "at", "-n", "oz-demo"))
            .anySatisfy(row -> assertThat(row).startsWith("demo-cancel-" + suffix + " "));

        Path dir = demo.folder();
        assertThat(workspaces(dir)).as("workspaces left in " + dir).isEmpty();
        assertThat(ProcessHandle.allProcesses())
            .as("processes of the demo's runs")
            .noneMatch(
                process ->
                    process
                        .info()
                        .commandLine()
                        .filter(line -> line.contains(dir.toString()))
                        .isPresent());
      } finally {
        made.keySet().forEach(name -> tasks.withName(name).delete());
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .alias("the kept tasks delete with no worker running")
          .until(() -> made.keySet().stream().allMatch(name -> tasks.withName(name).get() == null));
    }
  }

  /** The suffix of this run's task names, from the assignments it sent. */
  private static String suffix(DemoRun demo) {
    return demo.printed("→ task_assignment +demo-ok-([0-9a-f]+)");
  }

  /** The demo's output, which runs the watch command (without -w) the moment it is printed. */
  static final class WatchCheck extends Writer {
    private final StringBuilder text = new StringBuilder();
    volatile List<String> watchedThen;

    @Override
    public synchronized void write(char[] chars, int offset, int length) {
      text.append(chars, offset, length);
      if (watchedThen == null && text.indexOf(WATCH + "\n") >= 0) {
        try {
          watchedThen = TestCluster.kubectl("get", "at", "-n", "oz-demo");
        } catch (IOException | InterruptedException | AssertionError e) {
          watchedThen = List.of("failed: " + e);
        }
      }
    }

    /**
     * The watch command was printed once, before the table, and {@code kubectl get at} worked the
     * moment it was.
     */
    void assertTheCommandWorkedWhenPrinted() {
      String out = toString();
      assertThat(out.lines().filter(WATCH::equals)).as("the watch command").hasSize(1);
      assertThat(out.indexOf(WATCH))
          .as("the watch command comes before the table")
          .isLessThan(out.indexOf(" PHASE "));
      assertThat(watchedThen)
          .as("kubectl get at -n oz-demo when the demo printed the command")
          .isNotNull()
          .noneSatisfy(line -> assertThat(line).startsWith("failed: "));
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    @Override
    public synchronized String toString() {
      return text.toString();
    }
  }

  private static List<String> kubectl(String... args) {
    try {
      return TestCluster.kubectl(args);
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static List<Path> workspaces(Path dir) {
    Path root = dir.resolve("workspaces");
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(root)) {
      return entries.toList();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
