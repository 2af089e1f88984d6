package dev.ozworker.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.Main;
import dev.ozworker.api.AgentTask;
import dev.ozworker.kube.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo against a real API server ({@code --kubeconfig}, kube-local in CI): the same tasks end
 * the same way in namespace oz-demo, and the demo removes the AgentTasks it created.
 */
class DemoApiServerIT {
  @TempDir Path home;

  @Test
  void theDemoRunsOnARealClusterAndRemovesWhatItCreated() {
    try (KubernetesClient client = TestCluster.connectOrSkip()) {
      Map<String, String> env = new HashMap<>();
      env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
      env.put("HOME", home.toString());
      // The demo keeps its folder (task logs) for the user: here it goes with the test's own.
      env.put("TMPDIR", home.toString());
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();

      int status =
          Main.execute(
              new String[] {"demo", "--kubeconfig", System.getenv("KUBECONFIG")},
              env,
              home,
              new PrintWriter(out, true),
              new PrintWriter(err, true));

      String shown = out.toString();
      assertThat(status).as(shown + err).isZero();
      assertThat(shown)
          .contains("the cluster of kubeconfig", "namespace oz-demo")
          .contains("Every task ended as expected.")
          .contains("Removed the demo's 4 AgentTasks from namespace oz-demo")
          .doesNotContain("demo-secret-");
      Matcher ok = Pattern.compile("(demo-ok-[0-9a-f]+)").matcher(shown);
      assertThat(ok.find()).isTrue();
      assertThat(
              client.resources(AgentTask.class).inNamespace("oz-demo").withName(ok.group(1)).get())
          .isNull();
    }
  }
}
