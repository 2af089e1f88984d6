package dev.ozworker.oz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.ozworker.api.AgentConfig;
import dev.ozworker.api.FailureReason;
import dev.ozworker.api.InstanceShape;
import dev.ozworker.api.SidecarMount;
import dev.ozworker.api.TaskOwner;
import dev.ozworker.oz.DecodeError.Kind;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Frames as the reference server and worker write them, read and written by one codec. */
class OzCodecTest {
  final OzCodec codec = new OzCodec();

  @Test
  void readsEveryFieldOfAReferenceAssignment() {
    TaskAssignment assignment =
        (TaskAssignment) message(codec.decode(OzFrames.REFERENCE_ASSIGNMENT));

    assertThat(assignment.taskId()).isEqualTo("7c9e6679-7425-40de-944b-e07fc1f90ae7");
    assertThat(assignment.executionId()).isEqualTo("exec-2");
    assertThat(assignment.dockerImage()).isEqualTo("ghcr.io/acme/env:1");
    assertThat(assignment.sidecarImage()).isEqualTo("warpdotdev/agent:2");
    assertThat(assignment.envVars())
        .containsExactly(
            Map.entry("GITHUB_ACCESS_TOKEN", "ghs_secret"), Map.entry("WARP_API_KEY", "wk_secret"));
    assertThat(assignment.additionalSidecars())
        .containsExactly(new SidecarMount("ghcr.io/acme/tools:3", "/mnt/tools", true));
    assertThat(assignment.additionalOzArgs()).containsExactly("--debug");
    assertThat(assignment.instanceShape()).isEqualTo(new InstanceShape(4, 8));

    OzTask task = assignment.task();
    assertThat(task.id()).isEqualTo(assignment.taskId());
    assertThat(task.title()).isEqualTo("Fix the flaky test");
    assertThat(task.prompt()).isEqualTo("Make CI green");
    assertThat(task.createdAt()).isEqualTo(Instant.parse("2026-11-20T16:15:00.123456789Z"));
    assertThat(task.updatedAt()).isEqualTo(Instant.parse("2026-11-20T16:15:01Z"));
    assertThat(task.owner()).isEqualTo(new TaskOwner("TEAM", 42L));
    assertThat(task.agentConversationId()).isEqualTo("conv-1");

    AgentConfig config = task.agentConfigSnapshot();
    assertThat(config.environmentId()).isEqualTo("env-9");
    assertThat(config.modelId()).isEqualTo("claude-4-opus");
    assertThat(config.mcpServers().get("linear").get("url").textValue())
        .isEqualTo("https://mcp.linear.app");
    assertThat(config.computerUseEnabled()).isFalse();
    assertThat(config.idleTimeoutMinutes()).isEqualTo(10);
    assertThat(config.harness()).isEqualTo(new AgentConfig.Harness("claude"));
    assertThat(config.harnessAuthSecrets().claudeAuthSecretName()).isEqualTo("claude-key");
    assertThat(config.inferenceProviders().aws())
        .isEqualTo(new AgentConfig.AwsInference(null, "arn:aws:iam::1:role/r", "eu-west-1"));
    assertThat(config.sessionSharing().publicAccess()).isEqualTo("VIEWER");
    assertThat(config.snapshotDisabled()).isTrue();
    assertThat(config.snapshotUploadTimeoutSecs()).isEqualTo(30);
    assertThat(config.snapshotScriptTimeoutSecs()).isNull();
  }

  @Test
  void readsAMinimalAssignmentWithEmptyCollections() {
    TaskAssignment assignment =
        (TaskAssignment)
            message(
                codec.decode(
                    """
                    {"type":"task_assignment","data":{"task_id":"t1","task":{"id":"t1"},\
                    "env_vars":{"EMPTY":null},"additional_oz_args":["--x",null]}}\
                    """));

    assertThat(assignment.executionId()).isNull();
    assertThat(assignment.task().prompt()).isEmpty();
    assertThat(assignment.task().owner()).isNull();
    assertThat(assignment.task().agentConfigSnapshot()).isNull();
    assertThat(assignment.envVars()).containsExactly(Map.entry("EMPTY", ""));
    assertThat(assignment.additionalSidecars()).isEmpty();
    assertThat(assignment.additionalOzArgs()).containsExactly("--x", "");
    assertThat(assignment.instanceShape()).isNull();
  }

  @ParameterizedTest(name = "owner keys {0}")
  @MethodSource("ownerSpellings")
  void matchesOwnerKeysCaseInsensitively(String owner) {
    TaskAssignment assignment =
        (TaskAssignment)
            message(
                codec.decode(
                    "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\",\"task\":{\"id\":"
                        + "\"t1\",\"owner\":"
                        + owner
                        + "}}}"));

    assertThat(assignment.task().owner()).isEqualTo(new TaskOwner("USER", 7L));
  }

  static Stream<String> ownerSpellings() {
    return Stream.of(
        "{\"Type\":\"USER\",\"Id\":7}",
        "{\"type\":\"USER\",\"id\":7}",
        "{\"TYPE\":\"USER\",\"ID\":7}");
  }

  @Test
  void ignoresUnknownFieldsAndMatchesFrameKeysLikeGo() {
    Decoded decoded =
        codec.decode(
            """
            {"Type":"task_cancellation","DATA":{"TASK_ID":"t9","reason":"user"},"trace":"x"}\
            """);

    assertThat(message(decoded)).isEqualTo(new TaskCancellation("t9"));
  }

  @Test
  void ignoresFramesOfUnknownTypes() {
    assertThat(codec.decode("{\"type\":\"heartbeat\"}"))
        .isEqualTo(new Decoded.Ignored("heartbeat"));
    assertThat(codec.decode("{\"type\":\"TASK_ASSIGNMENT\",\"data\":{}}"))
        .isEqualTo(new Decoded.Ignored("TASK_ASSIGNMENT"));
    Decoded.Ignored huge =
        (Decoded.Ignored) codec.decode("{\"type\":\"" + "x\\n".repeat(5000) + "\"}");
    assertThat(huge.describe())
        .startsWith("frame of unknown type \"x\\u000ax")
        .endsWith("(10000 chars) ignored")
        .doesNotContain("\n");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("workerFramesAsTheReferenceWritesThem")
  void writesWorkerFramesByteForByteAsTheReference(
      String name, WorkerMessage message, String expected) {
    assertThat(codec.encode(message)).isEqualTo(expected);
    assertThat(message(codec.decode(expected))).isEqualTo(message);
  }

  static Stream<Arguments> workerFramesAsTheReferenceWritesThem() {
    return Stream.of(
        arguments(
            "claimed",
            new TaskClaimed("t1", "pool-a-0"),
            "{\"type\":\"task_claimed\",\"data\":{\"task_id\":\"t1\",\"worker_id\":\"pool-a-0\"}}"),
        arguments(
            "rejected at capacity",
            new TaskRejected("t1", TaskRejected.AT_CAPACITY),
            "{\"type\":\"task_rejected\",\"data\":{\"task_id\":\"t1\","
                + "\"reason\":\"worker at maximum concurrency\"}}"),
        arguments(
            "completed",
            TaskCompleted.succeeded("t1"),
            "{\"type\":\"task_completed\",\"data\":{\"task_id\":\"t1\","
                + "\"message\":\"Task completed successfully\"}}"),
        arguments(
            "cancelled",
            TaskCompleted.cancelled("t1"),
            "{\"type\":\"task_completed\",\"data\":{\"task_id\":\"t1\","
                + "\"message\":\"Task cancelled by user request.\",\"task_state\":\"CANCELLED\"}}"),
        arguments(
            "failed with reason and exit code",
            new TaskFailed(
                "t1",
                "Failed to execute task: oz agent exited with error: exit status 2",
                FailureReason.AGENT_INVOCATION,
                2),
            "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t1\",\"message\":\"Failed to"
                + " execute task: oz agent exited with error: exit status 2\","
                + "\"failure_reason\":\"agent_invocation\",\"exit_code\":2}}"),
        arguments(
            "failed with exit code 0 left off",
            new TaskFailed("t1", "boom", FailureReason.TASK_TIMEOUT, 0),
            "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t1\",\"message\":\"boom\","
                + "\"failure_reason\":\"task_timeout\"}}"),
        arguments(
            "failed without a reason",
            new TaskFailed("t1", "boom", null, 0),
            "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t1\",\"message\":\"boom\"}}"));
  }

  @Test
  void writesAndReadsServerFramesBackToTheSameMessages() {
    TaskAssignment original = (TaskAssignment) message(codec.decode(OzFrames.REFERENCE_ASSIGNMENT));

    String written = codec.encode(original);

    assertThat(message(codec.decode(written))).isEqualTo(original);
    assertThat(written)
        .startsWith("{\"type\":\"task_assignment\",\"data\":{\"task_id\":")
        .contains("\"owner\":{\"Type\":\"TEAM\",\"Id\":42}")
        .contains("\"created_at\":\"2026-11-20T16:15:00.123456789Z\"");
    TaskCancellation cancellation = new TaskCancellation("t1");
    assertThat(codec.encode(cancellation))
        .isEqualTo("{\"type\":\"task_cancellation\",\"data\":{\"task_id\":\"t1\"}}");
  }

  @Test
  void writesNoEmptyCollectionsForAMinimalAssignment() {
    TaskAssignment minimal =
        new TaskAssignment(
            "t1",
            null,
            new OzTask("t1", "title", null, null, null, null, null, null),
            null,
            null,
            null,
            null,
            null,
            null);

    assertThat(codec.encode(minimal))
        .isEqualTo(
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\","
                + "\"task\":{\"id\":\"t1\",\"title\":\"title\"}}}");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedFrames")
  void reportsAMalformedFrameWithoutThrowing(
      String name, String frame, Kind kind, String detail, String taskId) {
    Decoded decoded = codec.decode(frame);

    assertThat(decoded).isInstanceOf(Decoded.Malformed.class);
    DecodeError error = ((Decoded.Malformed) decoded).error();
    assertThat(error.kind()).isEqualTo(kind);
    assertThat(error.detail()).contains(detail);
    assertThat(error.taskId().orElse(null)).isEqualTo(taskId);
  }

  static Stream<Arguments> malformedFrames() {
    String deep = "[".repeat(WireJson.MAX_NESTING_DEPTH + 1);
    return Stream.of(
        arguments("not JSON", "{\"type\":", Kind.NOT_JSON, "not JSON (line 1, column", null),
        arguments("plain text", "hello", Kind.NOT_JSON, "not JSON", null),
        arguments(
            "trailing garbage", "{\"type\":\"heartbeat\"} {}", Kind.NOT_JSON, "not JSON", null),
        arguments("an array", "[1,2]", Kind.NOT_AN_OBJECT, "not a JSON object", null),
        arguments("a string", "\"task\"", Kind.NOT_AN_OBJECT, "not a JSON object", null),
        arguments("empty", "", Kind.NOT_AN_OBJECT, "not a JSON object", null),
        arguments("no type", "{\"data\":{}}", Kind.NO_TYPE, "\"type\" is missing", null),
        arguments("numeric type", "{\"type\":3}", Kind.NO_TYPE, "not a string", null),
        arguments(
            "no data", "{\"type\":\"task_cancellation\"}", Kind.MISSING_FIELD, "\"data\"", null),
        arguments(
            "data not an object",
            "{\"type\":\"task_cancellation\",\"data\":[\"t1\"]}",
            Kind.WRONG_TYPE,
            "\"data\" is not an object",
            null),
        arguments(
            "no task id",
            "{\"type\":\"task_cancellation\",\"data\":{}}",
            Kind.MISSING_FIELD,
            "data.task_id is missing",
            null),
        arguments(
            "blank task id",
            "{\"type\":\"task_cancellation\",\"data\":{\"task_id\":\"  \"}}",
            Kind.MISSING_FIELD,
            "data.task_id is missing",
            "  "),
        arguments(
            "numeric task id",
            "{\"type\":\"task_cancellation\",\"data\":{\"task_id\":12}}",
            Kind.WRONG_TYPE,
            "data.task_id has the wrong type",
            null),
        arguments(
            "assignment without task",
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\"}}",
            Kind.MISSING_FIELD,
            "data.task is missing",
            "t1"),
        arguments(
            "owner id as a string",
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\",\"task\":{\"id\":\"t1\","
                + "\"owner\":{\"Type\":\"USER\",\"Id\":\"7\"}}}}",
            Kind.WRONG_TYPE,
            "data.task.owner.Id has the wrong type",
            "t1"),
        arguments(
            "fractional vcpus",
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\",\"task\":{\"id\":\"t1\"},"
                + "\"instance_shape\":{\"vcpus\":1.5}}}",
            Kind.WRONG_TYPE,
            "data.instance_shape.vcpus has the wrong type",
            "t1"),
        arguments(
            "boolean as a string",
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\",\"task\":{\"id\":\"t1\","
                + "\"agent_config_snapshot\":{\"snapshot_disabled\":\"yes\"}}}}",
            Kind.WRONG_TYPE,
            "data.task.agent_config_snapshot.snapshot_disabled has the wrong type",
            "t1"),
        arguments(
            "bad timestamp",
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\",\"task\":{\"id\":\"t1\","
                + "\"created_at\":\"yesterday\"}}}",
            Kind.WRONG_TYPE,
            "data.task.created_at has the wrong type",
            "t1"),
        arguments(
            "args not a list",
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\",\"task\":{\"id\":\"t1\"},"
                + "\"additional_oz_args\":\"--debug\"}}",
            Kind.WRONG_TYPE,
            "data.additional_oz_args has the wrong type",
            "t1"),
        arguments(
            "unknown failure reason",
            "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t1\",\"message\":\"m\","
                + "\"failure_reason\":\"gremlins\"}}",
            Kind.WRONG_TYPE,
            "data.failure_reason has the wrong type",
            "t1"),
        arguments(
            "claim without worker id",
            "{\"type\":\"task_claimed\",\"data\":{\"task_id\":\"t1\"}}",
            Kind.MISSING_FIELD,
            "data.worker_id is missing",
            "t1"),
        arguments("nested too deep", deep, Kind.TOO_DEEP, "exceeds a JSON limit", null),
        arguments(
            "nested too deep inside data",
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\",\"x\":" + deep + "}}",
            Kind.TOO_DEEP,
            "exceeds a JSON limit",
            null));
  }

  @Test
  void rejectsAFrameOverTheSizeLimitUnread() {
    OzCodec small = new OzCodec(1024);
    String frame =
        "{\"type\":\"task_cancellation\",\"data\":{\"task_id\":\"" + "x".repeat(2000) + "\"}}";

    Decoded decoded = small.decode(frame);

    assertThat(((Decoded.Malformed) decoded).error().kind()).isEqualTo(Kind.TOO_LARGE);
    assertThat(((Decoded.Malformed) decoded).error().describe())
        .isEqualTo(
            "unreadable frame rejected: the frame has "
                + frame.length()
                + " chars, more than the limit of 1024");
  }

  @Test
  void neverQuotesValuesOfAMalformedFrame() {
    List<String> frames =
        List.of(
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\",\"task\":{\"id\":\"t1\"},"
                + "\"env_vars\":{\"TOKEN\":ghs_SECRET_VALUE}}}",
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\",\"task\":{\"id\":\"t1\"},"
                + "\"env_vars\":{\"TOKEN\":[\"ghs_SECRET_VALUE\"]}}}",
            "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"t1\",\"task\":{\"id\":\"t1\","
                + "\"created_at\":\"ghs_SECRET_VALUE\"}}}",
            "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t1\","
                + "\"failure_reason\":\"ghs_SECRET_VALUE\"}}");

    for (String frame : frames) {
      DecodeError error = ((Decoded.Malformed) codec.decode(frame)).error();
      assertThat(error.describe()).contains("frame rejected").doesNotContain("SECRET");
      assertThat(error.toString()).doesNotContain("SECRET");
    }
  }

  @Test
  void describesHostileIdsAndTypesInOneShortLine() {
    String id = "a\nb" + "z".repeat(500);
    DecodeError error =
        ((Decoded.Malformed)
                codec.decode(
                    "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\""
                        + id.replace("\n", "\\n")
                        + "\"}}"))
            .error();

    assertThat(error.taskId()).contains(id);
    assertThat(error.describe())
        .doesNotContain("\n")
        .startsWith("\"task_assignment\" frame rejected: data.task is missing (task \"a\\u000ab")
        .endsWith("… (503 chars))")
        .hasSizeLessThan(200);
  }

  @Test
  void showsEnvVarNamesButNeverTheirValues() {
    TaskAssignment assignment =
        (TaskAssignment) message(codec.decode(OzFrames.REFERENCE_ASSIGNMENT));

    assertThat(assignment.toString())
        .contains("GITHUB_ACCESS_TOKEN", "WARP_API_KEY", "values hidden")
        .doesNotContain("ghs_secret", "wk_secret");
  }

  @Test
  void keepsMcpServerConfigurationsAsRawJson() {
    TaskAssignment assignment =
        (TaskAssignment)
            message(
                codec.decode(
                    """
                    {"type":"task_assignment","data":{"task_id":"t1","task":{"id":"t1",\
                    "agent_config_snapshot":{"mcp_servers":{"b":{"z":1,"a":[true,null]},\
                    "a":"stdio"}}}}}\
                    """));

    var servers = assignment.task().agentConfigSnapshot().mcpServers();
    assertThat(servers.keySet()).containsExactly("b", "a");
    assertThat(servers.get("b").toString()).isEqualTo("{\"z\":1,\"a\":[true,null]}");
    assertThat(servers.get("a")).isEqualTo(JsonNodeFactory.instance.textNode("stdio"));
  }

  private static OzMessage message(Decoded decoded) {
    assertThat(decoded).isInstanceOf(Decoded.Message.class);
    return ((Decoded.Message) decoded).message();
  }
}
