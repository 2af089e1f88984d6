package dev.ozworker.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.oz.OzCodec;
import java.util.List;
import java.util.Random;

/**
 * Task assignments made from a seed, as Oz could send them: every field of the message model
 * (docs/protocol.md, "Messages") present, absent or empty, in unicode, at the sizes the frame limit
 * allows, with many env_vars and odd ids. Each is the {@code data} of a {@code task_assignment}
 * frame; the id ends in its number, so each is a task of its own.
 */
final class GeneratedAssignments {
  /** The frame's envelope around {@code data}. */
  static final String ENVELOPE = "{\"type\":\"task_assignment\",\"data\":%s}";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Strings of every kind a field may hold; "" is among them. */
  private static final List<String> TEXTS =
      List.of(
          "",
          " ",
          "plain",
          "Grüße, 世界! ✓ — ¿qué? مرحبا",
          "emoji 🧪🚀 and a surrogate pair 𝄞",
          "quotes \" ' ` and backslash \\ and $(shell) ${VAR}",
          "line\nbreak\tand tab",
          "x".repeat(5_000));

  private static final List<String> IDS =
      List.of(
          "7c9e6679-7425-40de-944b-e07fc1f90ae7-",
          "UPPER_case.dots-",
          "tâche-ünïcode-",
          "a".repeat(180) + "-",
          "..",
          ".",
          "a/b-",
          "-rf-",
          "with space-",
          "back\\slash-",
          "x".repeat(300));

  private final Random random;

  GeneratedAssignments(long seed) {
    this.random = new Random(seed);
  }

  /** The {@code n}th assignment's data. */
  ObjectNode next(int n) {
    ObjectNode data = JSON.createObjectNode();
    String taskId = taskId(n);
    data.put("task_id", taskId);
    maybe(() -> data.put("execution_id", pick(List.of("", "exec-" + n, "ëxec/" + n))));
    ObjectNode task = data.putObject("task");
    maybe(() -> task.put("id", random.nextInt(12) == 0 ? "other-" + n : pick(List.of("", taskId))));
    maybe(() -> task.put("title", text()));
    maybe(
        () -> {
          ObjectNode definition = task.putObject("task_definition");
          maybe(() -> definition.put("prompt", text()));
        });
    maybe(() -> task.put("created_at", "2026-12-05T10:15:30Z"));
    maybe(() -> task.put("updated_at", "2026-12-05T10:16:00.123456789Z"));
    maybe(
        () -> {
          ObjectNode owner = task.putObject("owner");
          maybe(() -> owner.put("Type", pick(List.of("", "USER", "TEAM", "ROBOT"))));
          maybe(() -> owner.put("Id", random.nextLong(1, 1L << 40)));
        });
    maybe(() -> agentConfig(task.putObject("agent_config_snapshot")));
    maybe(() -> task.put("agent_conversation_id", text()));
    maybe(() -> data.put("docker_image", pick(List.of("", "ghcr.io/acme/env:1", "ubuntu"))));
    maybe(() -> data.put("sidecar_image", pick(List.of("", "warpdotdev/agent:2"))));
    maybe(() -> envVars(data.putObject("env_vars")));
    maybe(() -> sidecars(data.putArray("additional_sidecars")));
    maybe(
        () -> {
          ArrayNode args = data.putArray("additional_oz_args");
          // An empty token is rare in practice; some API servers refuse it (ADR 0013).
          times(6, () -> args.add(random.nextInt(40) == 0 ? "" : pick(TEXTS.subList(1, 6))));
        });
    maybe(
        () -> {
          ObjectNode shape = data.putObject("instance_shape");
          maybe(() -> shape.put("vcpus", random.nextInt(-1, 65)));
          maybe(() -> shape.put("memory_gb", random.nextInt(-1, 257)));
        });
    return data;
  }

  /**
   * An assignment whose prompt (or, with {@code inConfig}, an MCP server's configuration) makes the
   * frame exactly as long as the frame limit allows.
   */
  ObjectNode largest(int n, boolean inConfig) {
    ObjectNode data = JSON.createObjectNode().put("task_id", "largest-" + n);
    ObjectNode task = data.putObject("task").put("title", "largest " + n);
    ObjectNode holder =
        inConfig
            ? task.putObject("agent_config_snapshot").putObject("mcp_servers").putObject("big")
            : task.putObject("task_definition");
    String field = inConfig ? "command" : "prompt";
    holder.put(field, "");
    int room = OzCodec.DEFAULT_MAX_FRAME_CHARS - ENVELOPE.formatted(data.toString()).length();
    holder.put(field, "p".repeat(room));
    return data;
  }

  /** An assignment of {@code size} chars of prompt: stored when the API server takes that size. */
  ObjectNode withPrompt(int n, int size) {
    ObjectNode data = JSON.createObjectNode().put("task_id", "prompt-" + size + "-" + n);
    data.putObject("task").putObject("task_definition").put("prompt", "q".repeat(size));
    return data;
  }

  static String frame(ObjectNode data) {
    return ENVELOPE.formatted(data.toString());
  }

  private String taskId(int n) {
    return random.nextInt(3) == 0 ? pick(IDS) + n : "gen-" + Integer.toString(n, 36) + "-" + n;
  }

  private void agentConfig(ObjectNode config) {
    for (String field :
        List.of("environment_id", "base_prompt", "model_id", "profile_id", "skill_spec")) {
      maybe(() -> config.put(field, text()));
    }
    maybe(
        () -> {
          ObjectNode servers = config.putObject("mcp_servers");
          times(
              4,
              () ->
                  servers
                      .putObject("srv-" + random.nextInt(1000))
                      .put("command", text())
                      .put("env", "")
                      .putArray("args")
                      .add("")
                      .add("--flag"));
        });
    maybe(() -> config.put("computer_use_enabled", random.nextBoolean()));
    maybe(() -> config.put("idle_timeout_minutes", random.nextInt(-5, 600)));
    maybe(
        () ->
            config
                .putObject("harness")
                .put("type", pick(List.of("", "oz", "claude", "codex", " "))));
    maybe(() -> config.putObject("harness_auth_secrets").put("claude_auth_secret_name", text()));
    maybe(
        () -> {
          ObjectNode aws = config.putObject("inference_providers").putObject("aws");
          maybe(() -> aws.put("disabled", random.nextBoolean()));
          maybe(() -> aws.put("role_arn", pick(List.of("", "arn:aws:iam::1:role/r"))));
          maybe(() -> aws.put("region", pick(List.of("", "eu-west-1"))));
        });
    maybe(
        () ->
            config
                .putObject("session_sharing")
                .put("public_access", pick(List.of("", "VIEWER", "EDITOR", "OWNER"))));
    maybe(() -> config.put("snapshot_disabled", random.nextBoolean()));
    maybe(() -> config.put("snapshot_upload_timeout_secs", random.nextInt(-1, 900)));
    maybe(() -> config.put("snapshot_script_timeout_secs", random.nextInt(-1, 900)));
  }

  private void envVars(ObjectNode vars) {
    int count = random.nextInt(8) == 0 ? 150 + random.nextInt(100) : random.nextInt(6);
    for (int i = 0; i < count; i++) {
      vars.put("VAR_" + i + pick(List.of("", ".x", "-y", "_Z")), text());
    }
    if (random.nextInt(15) == 0) {
      vars.put(pick(List.of("A B", "=", "", "ü", "a;b")), "value");
    }
  }

  private void sidecars(ArrayNode sidecars) {
    times(
        3,
        () -> {
          ObjectNode sidecar = sidecars.addObject();
          maybe(() -> sidecar.put("image", pick(List.of("", "ghcr.io/acme/tools:1"))));
          maybe(() -> sidecar.put("mount_path", pick(List.of("", "/mnt/tools", "/ü"))));
          maybe(() -> sidecar.put("read_write", random.nextBoolean()));
        });
  }

  private String text() {
    return pick(TEXTS);
  }

  /** Runs {@code field} for about two thirds of the assignments: the rest leave it absent. */
  private void maybe(Runnable field) {
    if (random.nextInt(3) != 0) {
      field.run();
    }
  }

  private void times(int most, Runnable each) {
    int count = random.nextInt(most + 1);
    for (int i = 0; i < count; i++) {
      each.run();
    }
  }

  private <T> T pick(List<T> options) {
    return options.get(random.nextInt(options.size()));
  }
}
