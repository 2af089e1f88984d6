package dev.ozworker.backend.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The scripts of examples/command-backend/ in their dry mode: they read a real payload and show
 * what they would send or start, without a network or a CLI.
 */
class CommandExamplesTest {
  static final Path EXAMPLES = Path.of("examples/command-backend");

  record Ran(int status, String out) {}

  static Ran run(String script, String stdin, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder("python3", EXAMPLES.resolve(script).toString(), "--dry-run");
    builder.environment().clear();
    builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    builder.environment().putAll(env);
    builder.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process process = builder.start();
    try (var in = process.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Ran(process.exitValue(), out);
  }

  static String payload() {
    return new String(
        DispatchPayload.bytes(
            DispatchPayload.of(
                DispatchPayloadTest.spec(Optional.of("task-7")), "https://oz.test", "w-1")),
        StandardCharsets.UTF_8);
  }

  @Test
  void theHttpDispatchReshapesThePayloadIntoTheRuntimesRequest() throws Exception {
    Ran ran = run("dispatch.py", payload(), Map.of());

    assertThat(ran.status()).isZero();
    JsonNode job = new ObjectMapper().readTree(ran.out()).path("job");
    assertThat(job.path("id").asText()).isEqualTo("run-7");
    assertThat(job.path("argv"))
        .extracting(JsonNode::asText)
        .containsExactly("oz", "agent", "run", "--task-id", "run-7");
    assertThat(job.path("volumes").get(1).path("at").asText()).isEqualTo("/c");
    assertThat(job.path("labels").path("oz-task").asText()).isEqualTo("task-7");
  }

  @Test
  void theHttpDispatchRefusesSomethingThatIsNotAPayload() throws Exception {
    assertThat(run("dispatch.py", "not json", Map.of()).status()).isEqualTo(1);
    assertThat(run("dispatch.py", "{\"version\": 2}", Map.of()).status()).isEqualTo(1);
  }

  @Test
  void theHttpCancelSendsTheRunsIdentifiers() throws Exception {
    Ran ran = run("cancel.py", "", Map.of("OZ_RUN_ID", "run-7", "OZ_EXECUTION_ID", "exec-3"));

    assertThat(ran.status()).isZero();
    assertThat(new ObjectMapper().readTree(ran.out()))
        .isEqualTo(
            new ObjectMapper().readTree("{\"run_id\": \"run-7\", \"execution_id\": \"exec-3\"}"));
  }

  @Test
  void theLocalDispatchRunsTheCliWithTheBaseArgsThenReportsTheShutdown() throws Exception {
    Ran ran = run("dispatch-local.py", payload(), Map.of("OZ_BIN", "/opt/oz/bin/oz"));

    assertThat(ran.status()).isZero();
    assertThat(ran.out().strip())
        .isEqualTo(
            "/opt/oz/bin/oz agent run --task-id run-7;"
                + " /opt/oz/bin/oz harness-support --run-id run-7 report-shutdown");
    assertThat(run("dispatch-local.py", payload(), Map.of()).status())
        .as("without OZ_BIN")
        .isEqualTo(2);
  }
}
