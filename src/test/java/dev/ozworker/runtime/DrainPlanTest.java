package dev.ozworker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The drain's deadlines leave time to stop, tear down and report before the grace period ends. */
class DrainPlanTest {
  static final Instant SIGNAL = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void withTheDefaultsTasksGetTwelveAndAHalfSecondsToFinish() {
    DrainPlan plan = DrainPlan.of(SIGNAL, Duration.ofSeconds(30), Duration.ofSeconds(30));

    assertThat(plan.stopGrace()).isEqualTo(Duration.ofMillis(6250));
    assertThat(plan.finishBy()).isEqualTo(SIGNAL.plusMillis(12_500));
    assertThat(plan.stoppedBy()).isEqualTo(SIGNAL.plusSeconds(25));
    assertThat(plan.flushedBy()).isEqualTo(SIGNAL.plusMillis(27_500));
  }

  @Test
  void aShortCancelGracePeriodLeavesMoreTimeToFinish() {
    DrainPlan plan = DrainPlan.of(SIGNAL, Duration.ofSeconds(60), Duration.ofSeconds(2));

    assertThat(plan.stopGrace()).isEqualTo(Duration.ofSeconds(2));
    assertThat(plan.finishBy()).isEqualTo(SIGNAL.plusSeconds(51));
    assertThat(plan.flushedBy()).isEqualTo(SIGNAL.plusMillis(57_500));
  }

  @Test
  void everyStepComesInOrderAndBeforeTheGracePeriodEndsEvenWhenItIsShort() {
    for (int seconds : new int[] {1, 3, 10, 45, 300}) {
      Duration grace = Duration.ofSeconds(seconds);
      DrainPlan plan = DrainPlan.of(SIGNAL, grace, Duration.ofSeconds(30));

      assertThat(plan.finishBy()).isAfterOrEqualTo(SIGNAL).isBefore(plan.stoppedBy());
      assertThat(plan.stoppedBy()).isBefore(plan.flushedBy());
      assertThat(plan.flushedBy()).isBefore(SIGNAL.plus(grace));
    }
  }
}
