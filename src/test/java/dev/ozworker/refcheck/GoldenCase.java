package dev.ozworker.refcheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One case of the resolver's golden table, as far as the reference cross-check needs it: the
 * worker's extra flags and config keys, the {@code task_assignment} data as sent on the wire, and
 * the expected {@code oz} arguments and environment. Other keys of a case are ignored.
 *
 * @param skipReason why the case cannot be checked against the reference, if it cannot
 */
record GoldenCase(
    String name,
    List<String> flags,
    ObjectNode config,
    ObjectNode assignment,
    List<String> expectedArgs,
    List<String> expectedEnv,
    Optional<String> skipReason) {

  private static final ObjectMapper YAML = new YAMLMapper();

  /** The cases of {@code file} that describe an assignment; hand-written tasks are left out. */
  static List<GoldenCase> withAssignments(Path file) throws IOException {
    JsonNode root = YAML.readTree(file.toFile());
    if (!root.isArray()) {
      throw new IllegalArgumentException(file + ": the golden table is a YAML list of cases");
    }
    List<GoldenCase> cases = new ArrayList<>();
    for (JsonNode node : root) {
      if (node.path("assignment").isObject()) {
        cases.add(of(node));
      }
    }
    return cases;
  }

  private static GoldenCase of(JsonNode node) {
    String name = node.path("name").asText();
    JsonNode expect = node.path("expect");
    Optional<String> skipReason = Optional.empty();
    if (node.path("reference").isBoolean() && !node.path("reference").booleanValue()) {
      skipReason = Optional.of("marked reference: false");
    } else if (!expect.path("args").isArray()) {
      skipReason = Optional.of("no expect.args to compare");
    }
    ObjectNode config =
        node.path("config").isObject()
            ? (ObjectNode) node.get("config").deepCopy()
            : YAML.createObjectNode();
    return new GoldenCase(
        name,
        texts(node.path("flags")),
        config,
        (ObjectNode) node.get("assignment").deepCopy(),
        texts(expect.path("args")),
        texts(expect.path("env")),
        skipReason);
  }

  private static List<String> texts(JsonNode list) {
    List<String> texts = new ArrayList<>();
    list.forEach(item -> texts.add(item.asText()));
    return List.copyOf(texts);
  }

  /** {@code task_id} of the assignment: it names the Direct backend's workspace. */
  String taskId() {
    return assignment.path("task_id").asText();
  }
}
