package dev.ozworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The configurations the docs show are valid, so the docs cannot drift from the parser. */
class ExampleConfigsTest {
  static final Map<String, String> ENV = Map.of("WARP_API_KEY", "k", "NO_PROXY", "127.0.0.1");

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "examples/worker-docker.yaml",
        "examples/worker-direct.yaml",
        "examples/worker-kubernetes.yaml"
      })
  void exampleConfigPassesCheckConfig(String file) {
    CommandLineTest.Outcome check = CommandLineTest.run(ENV, "--config-file", file, "check-config");

    assertThat(check.status()).as(check.err()).isZero();
  }

  @Test
  void theConfigurationDocsSamplePassesCheckConfig(@TempDir Path dir) throws IOException {
    Matcher sample =
        Pattern.compile("```yaml\n(worker_id:.*?)```", Pattern.DOTALL)
            .matcher(Files.readString(Path.of("docs/configuration.md")));
    assertThat(sample.find()).as("docs/configuration.md has a yaml config sample").isTrue();
    Path file = Files.writeString(dir.resolve("sample.yaml"), sample.group(1));

    CommandLineTest.Outcome check =
        CommandLineTest.run(ENV, "--config-file", file.toString(), "check-config");

    assertThat(check.status()).as(check.err()).isZero();
  }
}
