package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentTaskConditionsTest {
  static final Instant T0 = Instant.parse("2026-11-26T10:00:00.700Z");
  static final Instant T1 = Instant.parse("2026-11-26T10:05:00Z");

  @Test
  void aNewConditionIsAddedWithItsTransitionTimeInWholeSeconds() {
    List<Condition> set =
        AgentTaskConditions.set(List.of(), "Started", false, "Preparing", "pulling", 1, T0);

    assertThat(set)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getType()).isEqualTo("Started");
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("Preparing");
              assertThat(c.getMessage()).isEqualTo("pulling");
              assertThat(c.getObservedGeneration()).isEqualTo(1L);
              assertThat(c.getLastTransitionTime()).isEqualTo("2026-11-26T10:00:00Z");
            });
  }

  @Test
  void keepsTheTransitionTimeWhileTheStatusStaysTheSame() {
    List<Condition> first =
        AgentTaskConditions.set(List.of(), "Queued", true, "AtCapacity", "1/1", 1, T0);

    List<Condition> second =
        AgentTaskConditions.set(first, "Queued", true, "AtCapacity", "2/2", 2, T1);

    assertThat(second.get(0).getLastTransitionTime()).isEqualTo("2026-11-26T10:00:00Z");
    assertThat(second.get(0).getMessage()).isEqualTo("2/2");
    assertThat(second.get(0).getObservedGeneration()).isEqualTo(2L);
  }

  @Test
  void movesTheTransitionTimeWhenTheStatusFlips() {
    List<Condition> queued =
        AgentTaskConditions.set(List.of(), "Queued", true, "AtCapacity", "1/1", 1, T0);

    List<Condition> free =
        AgentTaskConditions.set(queued, "Queued", false, "SlotAvailable", "free", 1, T1);

    assertThat(free).hasSize(1);
    assertThat(free.get(0).getLastTransitionTime()).isEqualTo("2026-11-26T10:05:00Z");
    assertThat(AgentTaskConditions.isTrue(free, "Queued")).isFalse();
  }

  @Test
  void replacesInPlaceAndLeavesTheGivenListAlone() {
    List<Condition> original = new ArrayList<>();
    original = AgentTaskConditions.set(original, "Accepted", true, "Assigned", "w1", 1, T0);
    original = AgentTaskConditions.set(original, "Started", false, "Preparing", "", 1, T0);
    List<Condition> before = List.copyOf(original);

    List<Condition> after =
        AgentTaskConditions.set(original, "Accepted", false, "InvalidSpec", "no prompt", 1, T1);

    assertThat(original).isEqualTo(before);
    assertThat(after).extracting(Condition::getType).containsExactly("Accepted", "Started");
    assertThat(after.get(0).getReason()).isEqualTo("InvalidSpec");
  }
}
