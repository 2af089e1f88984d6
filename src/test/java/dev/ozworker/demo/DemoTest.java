package dev.ozworker.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ozworker.config.BackendKind;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the demo refuses before it makes anything. */
class DemoTest {
  @TempDir Path tmp;

  @Test
  void theKubernetesBackendWithoutAClusterIsRefusedNamingKubeconfigBeforeAnythingIsMade()
      throws Exception {
    StringWriter out = new StringWriter();

    assertThatThrownBy(
            () ->
                Demo.prepare(
                    BackendKind.KUBERNETES,
                    false,
                    Map.of("TMPDIR", tmp.toString()),
                    Clock.systemUTC(),
                    new PrintWriter(out)))
        .isInstanceOf(Demo.CannotStart.class)
        .hasMessageContaining("runs the demo's tasks as Pods")
        .hasMessageContaining("the embedded API server has none")
        .hasMessageContaining("--kubeconfig FILE");
    assertThat(out.toString()).isEmpty();
    try (Stream<Path> made = Files.list(tmp)) {
      assertThat(made).as("no demo folder").isEmpty();
    }
  }
}
