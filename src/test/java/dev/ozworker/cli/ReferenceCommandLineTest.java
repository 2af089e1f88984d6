package dev.ozworker.cli;

import static dev.ozworker.cli.CommandLineTest.SECRET;
import static dev.ozworker.cli.CommandLineTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.cli.CommandLineTest.Outcome;
import dev.ozworker.config.DockerBackendConfig;
import dev.ozworker.config.EnvVar;
import dev.ozworker.config.VolumeMount;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.task.TaskResolver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Command lines written for the reference worker mean the same here. */
class ReferenceCommandLineTest {
  static final Map<String, String> KEY = Map.of("WARP_API_KEY", SECRET);

  @Test
  void withoutASubcommandTheWorkerRunsAsTheReferenceDoes() {
    Outcome none = run(Map.of(), "--worker-id", "w");

    assertThat(none.status()).isEqualTo(2);
    assertThat(none.err())
        .doesNotContain("Missing command")
        .contains("oz-worker-operator: invalid configuration", "WARP_API_KEY");
  }

  @Test
  void helpStillPrintsHelpWithoutASubcommand() {
    Outcome help = run(Map.of(), "--help");

    assertThat(help.status()).isZero();
    assertThat(help.out()).contains("Usage: oz-worker-operator", "run", "check-config");
  }

  @ParameterizedTest(name = "[{0}] splits into [{1}]")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      value = {
        "A=1,B=2|A=1;B=2",
        "a:/x,b:/y|a:/x;b:/y",
        "A=1\\,2|A=1,2",
        "A=x\\y|A=x\\y",
        "A=1\\|A=1\\",
        "A=1\\\\,B|A=1\\\\;B",
        "'\"A=1,B=2\"'|\"A=1;B=2\"",
        "A=1,,B=2|A=1;;B=2",
        "A=1,|A=1",
        "','|''",
        "''|"
      })
  void listFlagsSplitAsTheReferenceFlagParserSplitsThem(String text, String values) {
    List<String> expected = values == null ? List.of() : List.of(values.split(";", -1));

    assertThat(CommaList.split(text)).containsExactlyElementsOf(expected);
  }

  @Test
  void envAndVolumeFlagsTakeCommaSeparatedValues() throws Exception {
    WorkerConfig config =
        WorkerConfigs.resolve("", KEY, "--worker-id=w", "-e", "A=1,B=2", "-v", "/a:/x,/b:/y:ro");

    DockerBackendConfig docker = (DockerBackendConfig) config.backend();
    assertThat(docker.environment()).containsExactly(new EnvVar("A", "1"), new EnvVar("B", "2"));
    assertThat(docker.volumes())
        .containsExactly(new VolumeMount("/a", "/x", ""), new VolumeMount("/b", "/y", "ro"));
  }

  @Test
  void aConfigFileUnderHomeIsFoundWithATilde() {
    Outcome check =
        run(KEY, "--worker-id", "w", "--config-file", "~/no-such-oz-worker.yaml", "check-config");

    assertThat(check.status()).isEqualTo(2);
    assertThat(check.err())
        .contains(Path.of(System.getProperty("user.home"), "no-such-oz-worker.yaml").toString());
  }

  @ParameterizedTest(name = "{0} under {1} is {2}")
  @CsvSource({
    "~/w.yaml,/home/oz,/home/oz/w.yaml",
    "~,/home/oz,~",
    "a/~/w.yaml,/home/oz,a/~/w.yaml"
  })
  void onlyALeadingTildeSlashMeansHome(String given, String home, String path) {
    assertThat(OzWorkerCommand.withHome(Path.of(given), Path.of(home))).isEqualTo(Path.of(path));
  }

  @Test
  void anEmptyBackendFlagLeavesTheChoiceToTheFileOrTheDefault(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("worker.yaml");
    Files.writeString(file, "worker_id: w\nbackend:\n  direct: {}\n");

    Outcome withFile = run(KEY, "--config-file", file.toString(), "--backend", "", "check-config");
    Outcome withoutFile = run(KEY, "--worker-id", "w", "--backend=", "check-config");

    assertThat(withFile.status()).as(withFile.err()).isZero();
    assertThat(withFile.out()).contains("direct:");
    assertThat(withoutFile.status()).as(withoutFile.err()).isZero();
    assertThat(withoutFile.out()).contains("docker:");
  }

  @Test
  void maxConcurrentTasksZeroOnTheCommandLineLeavesTheLimitToTheFile() throws Exception {
    String yaml = "max_concurrent_tasks: 3\n";

    assertThat(
            WorkerConfigs.resolve(yaml, KEY, "--worker-id=w", "--max-concurrent-tasks=0")
                .maxConcurrentTasks())
        .isEqualTo(3);
    assertThat(
            WorkerConfigs.resolve("", KEY, "--worker-id=w", "--max-concurrent-tasks=0")
                .maxConcurrentTasks())
        .as("unlimited")
        .isZero();
    assertThat(
            WorkerConfigs.resolve(yaml, KEY, "--worker-id=w", "--max-concurrent-tasks=5")
                .maxConcurrentTasks())
        .isEqualTo(5);
  }

  @ParameterizedTest(name = "--idle-on-complete {0}")
  @CsvSource({"90m", "0", "1.5h", "45m"})
  void idleOnCompleteReachesTheAgentAsWritten(String given) throws Exception {
    WorkerConfig config =
        WorkerConfigs.resolve("", KEY, "--worker-id=w", "--idle-on-complete=" + given);
    AgentTaskSpec task = new AgentTaskSpec();
    task.setTaskId("7c9e6679-7425-40de-944b-e07fc1f90ae7");

    List<String> args = new TaskResolver(config).resolve("t", task, Map.of()).ozArgs();

    assertThat(args.subList(args.indexOf("--idle-on-complete"), args.size()))
        .containsExactly("--idle-on-complete", given);
  }

  @Test
  void agentOutputGoesToTheWorkersLogOnlyWhenAsked() throws Exception {
    assertThat(WorkerConfigs.resolve("", KEY, "--worker-id=w").agentOutputToWorkerLog()).isFalse();
    assertThat(
            WorkerConfigs.resolve("", KEY, "--worker-id=w", "--agent-output-to-log")
                .agentOutputToWorkerLog())
        .isTrue();
    assertThat(
            WorkerConfigs.resolve("agent_output_to_worker_log: true\n", KEY, "--worker-id=w")
                .agentOutputToWorkerLog())
        .isTrue();
  }
}
