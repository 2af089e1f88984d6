package dev.ozworker.fault;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.oz.fake.OzAssignments;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Makes malformed and adversarial frames from a seed, so that a failure repeats: each says what to
 * send and how the worker must answer it: with {@code task_rejected} (docs/protocol.md, "Frames": a
 * frame it cannot read is rejected when its task id can be read), with {@code task_claimed} and
 * {@code task_failed} (an assignment no worker could ever store, ADR 0013), or with nothing at all.
 */
final class FaultHostileFrames {
  /**
   * One frame: text, or bytes sent as a binary frame, or bytes sent as a text frame that is not
   * UTF-8; {@code rejectedId} is the task id the worker must reject, {@code failedId} the one it
   * must claim and fail; both null when it must not answer.
   */
  record Hostile(
      String kind, String text, byte[] bytes, boolean binary, String rejectedId, String failedId) {
    Hostile(String kind, String text, byte[] bytes, boolean binary, String rejectedId) {
      this(kind, text, bytes, binary, rejectedId, null);
    }

    boolean notUtf8() {
      return bytes != null && !binary;
    }
  }

  /** Shell syntax that does something when a shell reads it; harmless when passed as an arg. */
  static String shell(String marker) {
    return "$(touch "
        + marker
        + "-a) `touch "
        + marker
        + "-b`; touch "
        + marker
        + "-c | touch "
        + marker
        + "-d && touch "
        + marker
        + "-e > "
        + marker
        + "-f\n'\"\\ * ? ~ ${HOME} %s %n";
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> BAD_IDS =
      List.of(
          "..",
          ".",
          "../",
          "../../etc/passwd-",
          "a/../../",
          "/etc/",
          "..\\..\\",
          "-rf",
          "--help-",
          "with space ",
          "tab\t",
          "new\nline",
          "nul\u0000",
          "x".repeat(256),
          " ",
          "");
  private static final List<String> NOT_OBJECTS =
      List.of(
          "[]", "null", "42", "\"text\"", "true", "", "   ", "[{\"type\":\"task_assignment\"}]");

  private final Random random;
  private final String marker;

  FaultHostileFrames(long seed, String marker) {
    this.random = new Random(seed);
    this.marker = marker;
  }

  /** The {@code n}th frame; a few kinds (huge, not UTF-8) only at fixed, rare positions. */
  Hostile next(int n) {
    if (n % 3000 == 1500) {
      return huge(n);
    }
    if (n % 500 == 250) {
      return notUtf8();
    }
    return switch (random.nextInt(13)) {
      case 0 -> truncated(n);
      case 1 -> text("garbage-prefix", pick(List.of("x", "\u0000", "}{", "'", ",")) + valid(n));
      case 2 -> text("not-object", pick(NOT_OBJECTS));
      case 3 ->
          text(
              "no-type",
              pick(List.of("{\"data\":%s}", "{\"type\":7,\"data\":%s}"))
                  .formatted(assignmentData("nt-" + n)));
      case 4 -> text("unknown-type", envelope(shell(marker), assignmentData(shell(marker))));
      case 5 ->
          text(
              "worker-type",
              envelope(
                  pick(List.of("task_claimed", "task_completed", "task_failed", "task_rejected")),
                  "{\"task_id\":\"wk-" + n + "\",\"worker_id\":\"w\"}"));
      case 6 -> deep(n);
      case 7 -> wrongType(n);
      case 8 -> missingTask(n);
      case 9 -> badId(n);
      case 10 -> badEnvOrInnerId(n);
      case 11 -> binary();
      default ->
          text(
              "cancel-unknown",
              envelope(
                  "task_cancellation",
                  JSON.createObjectNode()
                      .put("task_id", pick(BAD_IDS) + shell(marker))
                      .toString()));
    };
  }

  private Hostile truncated(int n) {
    String whole = valid(n);
    // A JSON object cut before its closing brace is never JSON, so this can never be a task.
    return text("truncated", whole.substring(0, random.nextInt(whole.length() - 1)));
  }

  private Hostile huge(int n) {
    String title = "h".repeat((4 << 20) + 1000);
    return text(
        "huge",
        envelope(
            "task_assignment", assignmentData("huge-" + n).put("docker_image", title).toString()));
  }

  private Hostile deep(int n) {
    int depth = 1001 + random.nextInt(20_000);
    String open = random.nextBoolean() ? "[" : "{\"a\":";
    String close = open.equals("[") ? "]" : "}";
    return text(
        "deep",
        "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"deep-"
            + n
            + "\",\"task\":"
            + open.repeat(depth)
            + "1"
            + close.repeat(depth)
            + "}}");
  }

  private Hostile wrongType(int n) {
    String id = "wt-" + n;
    ObjectNode data = assignmentData(id);
    ObjectNode task = (ObjectNode) data.get("task");
    switch (random.nextInt(8)) {
      case 0 -> data.put("task", "a string");
      case 1 -> data.putArray("task").add(1);
      case 2 -> data.putArray("env_vars").add("A=1");
      case 3 -> task.put("owner", "o");
      case 4 -> task.putArray("task_definition");
      case 5 -> data.putObject("additional_sidecars").put("a", 1);
      case 6 -> data.put("instance_shape", "big");
      default -> {
        // no readable task id: nothing to reject
        return text(
            "wrong-type",
            envelope(
                "task_assignment",
                pick(
                    List.of(
                        "[1]",
                        "\"data\"",
                        "7",
                        "{\"task_id\":{},\"task\":{}}",
                        "{\"task_id\":[\"x\"],\"task\":{}}"))));
      }
    }
    return new Hostile("wrong-type", envelope("task_assignment", data.toString()), null, false, id);
  }

  private Hostile missingTask(int n) {
    String id = "mt-" + n;
    ObjectNode data = JSON.createObjectNode().put("task_id", id);
    if (random.nextBoolean()) {
      data.putNull("task");
    }
    return new Hostile(
        "missing-task", envelope("task_assignment", data.toString()), null, false, id);
  }

  private Hostile badId(int n) {
    String id = pick(BAD_IDS);
    // Ids that can grow keep growing, so their rejections can be told apart.
    if (id.length() > 2 && !id.isBlank()) {
      id = id + n;
    }
    ObjectNode data = assignmentData(id);
    data.putObject("env_vars").put("SHELL_VAR", shell(marker));
    return new Hostile(
        "bad-id",
        envelope("task_assignment", data.toString()),
        null,
        false,
        null,
        id.isBlank() ? null : id);
  }

  private Hostile badEnvOrInnerId(int n) {
    String id = "be-" + n;
    ObjectNode data = assignmentData(id);
    if (random.nextBoolean()) {
      data.putObject("env_vars").put(pick(List.of("$(touch x)", "A B", "", "a;b", "../x")), "v");
    } else {
      ((ObjectNode) data.get("task")).put("id", pick(BAD_IDS) + n);
    }
    return new Hostile(
        "bad-env-or-id", envelope("task_assignment", data.toString()), null, false, null, id);
  }

  private Hostile binary() {
    byte[] bytes = new byte[1 + random.nextInt(4096)];
    random.nextBytes(bytes);
    return new Hostile("binary", null, bytes, true, null);
  }

  private Hostile notUtf8() {
    byte[] broken =
        pick(
            List.of(
                new byte[] {(byte) 0xC3, 0x28},
                new byte[] {(byte) 0xFF, (byte) 0xFE},
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[] {(byte) 0xC0, (byte) 0xAF}));
    byte[] prefix =
        "{\"type\":\"task_assignment\",\"data\":{\"task_id\":\"".getBytes(StandardCharsets.UTF_8);
    byte[] frame = new byte[prefix.length + broken.length];
    System.arraycopy(prefix, 0, frame, 0, prefix.length);
    System.arraycopy(broken, 0, frame, prefix.length, broken.length);
    return new Hostile("not-utf8", null, frame, false, null);
  }

  private String valid(int n) {
    return envelope("task_assignment", assignmentData("v-" + n).toString());
  }

  private static ObjectNode assignmentData(String id) {
    return OzAssignments.assignment(id, Map.of());
  }

  private static String envelope(String type, String data) {
    return "{\"type\":" + JSON.valueToTree(type) + ",\"data\":" + data + "}";
  }

  private static String envelope(String type, ObjectNode data) {
    return envelope(type, data.toString());
  }

  private static Hostile text(String kind, String text) {
    return new Hostile(kind, text, null, false, null);
  }

  private <T> T pick(List<T> options) {
    return options.get(random.nextInt(options.size()));
  }
}
