package dev.ozworker.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonMetadataTest {
  @Test
  void readsAFieldOfTheTopLevelMetadataWhereverItStands() {
    String json =
        """
        {"spec":{"metadata":{"name":"inner"},"list":[{"name":"x"}]},
         "kind":"AgentTask",
         "metadata":{"labels":{"name":"label"},"name":"task-1","resourceVersion":"42"},
         "status":{"phase":"Running"}}
        """;

    assertThat(JsonMetadata.field(json, "name")).contains("task-1");
    assertThat(JsonMetadata.field(json.getBytes(StandardCharsets.UTF_8), "resourceVersion"))
        .contains("42");
  }

  @Test
  void aMissingOrNonTextFieldOrUnreadableJsonReadsAsNothing() {
    assertThat(JsonMetadata.field("{\"metadata\":{\"name\":\"a\"}}", "resourceVersion")).isEmpty();
    assertThat(JsonMetadata.field("{\"metadata\":{\"resourceVersion\":7}}", "resourceVersion"))
        .isEmpty();
    assertThat(JsonMetadata.field("{\"kind\":\"Secret\"}", "name")).isEmpty();
    assertThat(JsonMetadata.field("[{\"metadata\":{\"name\":\"a\"}}]", "name")).isEmpty();
    assertThat(JsonMetadata.field("{\"metadata\":{\"na", "name")).isEmpty();
    assertThat(JsonMetadata.field("not json", "name")).isEmpty();
  }
}
