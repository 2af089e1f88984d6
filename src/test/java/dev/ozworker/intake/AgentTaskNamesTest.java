package dev.ozworker.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AgentTaskNamesTest {
  static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  static final Pattern LABEL_VALUE =
      Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  @Test
  void usesAnOzTaskIdAsItIs() {
    String id = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

    assertThat(AgentTaskNames.agentTask(id, null)).isEqualTo(id);
    assertThat(AgentTaskNames.agentTask(id, "")).isEqualTo(id);
    assertThat(AgentTaskNames.taskIdLabel(id)).isEqualTo(id);
    assertThat(AgentTaskNames.envSecret(id)).isEqualTo(id + "-env");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "Task_ABC, task-abc-",
    "UPPER, upper-",
    "a.b, a-b-",
    "---, task-",
    "'é', task-",
  })
  void cleansOtherIdsAndAddsAHashOfTheOriginal(String id, String prefix) {
    String name = AgentTaskNames.agentTask(id, null);

    assertThat(name).startsWith(prefix).matches(DNS_LABEL);
    assertThat(name.substring(prefix.length())).matches("[0-9a-f]{10}");
  }

  @Test
  void neverGivesTwoIdsTheSameName() {
    assertThat(AgentTaskNames.agentTask("ABC", null))
        .isNotEqualTo(AgentTaskNames.agentTask("abc", null))
        .isNotEqualTo(AgentTaskNames.agentTask("Abc", null));
    assertThat(AgentTaskNames.agentTask("a_b", null))
        .isNotEqualTo(AgentTaskNames.agentTask("a.b", null));
  }

  @Test
  void givesEachExecutionOfATaskItsOwnStableName() {
    String id = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

    String first = AgentTaskNames.agentTask(id, "exec-1");
    String again = AgentTaskNames.agentTask(id, "exec-1");
    String followUp = AgentTaskNames.agentTask(id, "exec-2");

    assertThat(first).isEqualTo(again).startsWith(id + "-").matches(DNS_LABEL);
    assertThat(followUp).isNotEqualTo(first).startsWith(id + "-");
  }

  @ParameterizedTest
  @ValueSource(ints = {63, 64, 200, 255})
  void keepsLongIdsWithinADnsLabel(int length) {
    String id = "a".repeat(length - 1) + "Z";

    assertThat(AgentTaskNames.agentTask(id, null)).matches(DNS_LABEL);
    assertThat(AgentTaskNames.agentTask(id, "exec")).matches(DNS_LABEL);
    assertThat(AgentTaskNames.taskIdLabel(id)).matches(LABEL_VALUE);
  }

  @Test
  void keepsIdsThatAreValidLabelValuesButNotNamesInTheLabel() {
    assertThat(AgentTaskNames.taskIdLabel("Task_1.A")).isEqualTo("Task_1.A");
    assertThat(AgentTaskNames.agentTask("Task_1.A", null)).isNotEqualTo("Task_1.A");
  }
}
