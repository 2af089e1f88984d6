package dev.ozworker.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.GoDuration;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.intake.AssignmentMapping;
import dev.ozworker.intake.InvalidAssignmentException;
import dev.ozworker.intake.TaskResources;
import dev.ozworker.oz.Decoded;
import dev.ozworker.oz.OzCodec;
import dev.ozworker.oz.TaskAssignment;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The golden table of resolution ({@code resolver-golden.yaml}): each case goes the way real work
 * goes. An Oz assignment is read from a frame by the codec, mapped to an AgentTask and its Secret,
 * stored and read back as the API server would (JSON), then resolved; a user-authored task is
 * resolved from its spec.
 */
class TaskResolverGoldenTest {
  static final String TABLE = "resolver-golden.yaml";
  static final String USER_TASK_NAME = "hello";
  static final Map<String, String> WORKER_ENV = Map.of("WARP_API_KEY", "worker-key");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final ObjectMapper JSON = new ObjectMapper();

  @TestFactory
  Stream<DynamicTest> goldenTable() throws IOException {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> run(c)));
  }

  @Test
  void theTableHasUniqueNamesAndCoversTheRules() throws IOException {
    List<JsonNode> cases = cases();
    List<String> names = cases.stream().map(c -> c.get("name").asText()).toList();

    assertThat(new HashSet<>(names)).hasSameSizeAs(names);
    assertThat(cases).hasSizeGreaterThanOrEqualTo(30);
    assertThat(cases)
        .allSatisfy(
            c ->
                assertThat(c.has("assignment") ^ c.has("task"))
                    .as("%s: exactly one of assignment and task", c.get("name"))
                    .isTrue());
  }

  static List<JsonNode> cases() throws IOException {
    try (InputStream in = TaskResolverGoldenTest.class.getResourceAsStream(TABLE)) {
      List<JsonNode> cases = new ArrayList<>();
      YAML.readTree(in).forEach(cases::add);
      return cases;
    }
  }

  void run(JsonNode c) throws Exception {
    WorkerConfig config = workerConfig(c);
    JsonNode expect = c.get("expect");
    TaskSpec resolved;
    try {
      resolved =
          c.has("assignment") ? fromAssignment(c.get("assignment"), config) : fromTask(c, config);
    } catch (InvalidAssignmentException | InvalidTaskException e) {
      if (!expect.has("error")) {
        fail("refused unexpectedly: " + e.getMessage());
      }
      assertThat(e.getMessage()).contains(expect.get("error").asText());
      return;
    }
    assertThat(expect.has("error")).as("expected a refusal, resolved %s", resolved).isFalse();
    if (expect.has("args")) {
      assertThat(resolved.ozArgs()).containsExactlyElementsOf(strings(expect.get("args")));
    }
    if (expect.has("env")) {
      assertThat(resolved.env().assignments())
          .containsExactlyElementsOf(strings(expect.get("env")));
    }
    if (expect.has("image")) {
      assertThat(resolved.image()).isEqualTo(expect.get("image").asText());
    }
    if (expect.has("sidecars")) {
      List<Sidecar> sidecars = new ArrayList<>();
      expect
          .get("sidecars")
          .forEach(
              s ->
                  sidecars.add(
                      new Sidecar(
                          s.get("image").asText(),
                          s.get("mountPath").asText(),
                          s.get("readWrite").asBoolean())));
      assertThat(resolved.sidecars()).containsExactlyElementsOf(sidecars);
    }
    if (expect.has("limits")) {
      JsonNode limits = expect.get("limits");
      assertThat(resolved.limits().nanoCpus().stream().boxed().findFirst().orElse(null))
          .isEqualTo(limits.has("nanoCpus") ? limits.get("nanoCpus").asLong() : null);
      assertThat(resolved.limits().memoryBytes().stream().boxed().findFirst().orElse(null))
          .isEqualTo(limits.has("memoryBytes") ? limits.get("memoryBytes").asLong() : null);
    }
    if (expect.has("runId")) {
      assertThat(resolved.runId()).isEqualTo(expect.get("runId").asText());
    }
    if (expect.has("timeout")) {
      assertThat(resolved.timeout())
          .isEqualTo(GoDuration.parse(expect.get("timeout").asText()).orElseThrow());
    }
    assertThat(TaskIds.isSafe(resolved.runId())).isTrue();
  }

  /** Frame -> codec -> intake mapping -> stored AgentTask and Secret -> resolver. */
  static TaskSpec fromAssignment(JsonNode data, WorkerConfig config) throws Exception {
    String frame = "{\"type\":\"task_assignment\",\"data\":" + JSON.writeValueAsString(data) + "}";
    Decoded decoded = new OzCodec().decode(frame);
    assertThat(decoded).isInstanceOf(Decoded.Message.class);
    TaskAssignment assignment = (TaskAssignment) ((Decoded.Message) decoded).message();
    TaskResources resources =
        new AssignmentMapping(config.workerId(), config.backend().kind()).toResources(assignment);
    AgentTask stored =
        Serialization.unmarshal(Serialization.asJson(resources.agentTask()), AgentTask.class);
    Map<String, String> secretEnv = new LinkedHashMap<>();
    // An assignment without env_vars has no Secret at all.
    resources
        .envSecret()
        .map(Secret::getData)
        .orElse(Map.of())
        .forEach(
            (name, value) ->
                secretEnv.put(
                    name, new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8)));
    return new TaskResolver(config)
        .resolve(stored.getMetadata().getName(), stored.getSpec(), secretEnv);
  }

  static TaskSpec fromTask(JsonNode c, WorkerConfig config) throws Exception {
    AgentTaskSpec spec =
        Serialization.unmarshal(JSON.writeValueAsString(c.get("task")), AgentTaskSpec.class);
    Map<String, String> env = new LinkedHashMap<>();
    if (c.has("env")) {
      c.get("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    }
    return new TaskResolver(config).resolve(USER_TASK_NAME, spec, env);
  }

  static WorkerConfig workerConfig(JsonNode c) throws Exception {
    List<String> flags = new ArrayList<>(List.of("--worker-id", "golden-worker"));
    if (c.has("flags")) {
      flags.addAll(strings(c.get("flags")));
    }
    String file = c.has("config") ? YAML.writeValueAsString(c.get("config")) : "";
    return WorkerConfigs.resolve(file, WORKER_ENV, flags.toArray(String[]::new));
  }

  static List<String> strings(JsonNode array) {
    List<String> strings = new ArrayList<>();
    array.forEach(node -> strings.add(node.asText()));
    return strings;
  }
}
