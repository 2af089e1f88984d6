package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.MutableClock;
import dev.ozworker.controller.EventCorrelator.Decision;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EventCorrelatorTest {
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T00:00:00Z"));
  final EventCorrelator correlator = new EventCorrelator(clock);

  @Test
  void anEventRepeatingOneWrittenCountsOnItInsteadOfMakingAnother() {
    Decision first = correlator.decide("uid-1", "Warning", "ReconcileFailed", "HTTP 500");
    assertThat(first).isInstanceOf(Decision.Create.class);
    correlator.written(((Decision.Create) first).identity(), "t1.abc");

    Decision again = correlator.decide("uid-1", "Warning", "ReconcileFailed", "HTTP 500");
    Decision third = correlator.decide("uid-1", "Warning", "ReconcileFailed", "HTTP 500");

    assertThat(again).isEqualTo(new Decision.Update(identity(first), "t1.abc", 2, "HTTP 500"));
    assertThat(third).isEqualTo(new Decision.Update(identity(first), "t1.abc", 3, "HTTP 500"));
    assertThat(correlator.decide("uid-2", "Warning", "ReconcileFailed", "HTTP 500"))
        .as("another task's Event is its own")
        .isInstanceOf(Decision.Create.class);
  }

  @Test
  void afterTenDifferentMessagesOfOneReasonTheNextAreCombinedIntoOneEvent() {
    for (int i = 0; i < EventCorrelator.SIMILAR; i++) {
      Decision decision = correlator.decide("uid-1", "Warning", "SecretNotFound", "missing " + i);
      assertThat(decision).isInstanceOf(Decision.Create.class);
      correlator.written(identity(decision), "e" + i);
    }

    Decision eleventh = correlator.decide("uid-1", "Warning", "SecretNotFound", "missing 10");
    assertThat(eleventh)
        .isEqualTo(
            new Decision.Create(identity(eleventh), EventCorrelator.COMBINED + "missing 10"));
    correlator.written(identity(eleventh), "combined");
    assertThat(correlator.decide("uid-1", "Warning", "SecretNotFound", "missing 11"))
        .isEqualTo(
            new Decision.Update(
                identity(eleventh), "combined", 2, EventCorrelator.COMBINED + "missing 11"));

    clock.advance(EventCorrelator.WINDOW.plusSeconds(1));
    assertThat(correlator.decide("uid-1", "Warning", "SecretNotFound", "missing 12"))
        .as("a new window counts afresh")
        .isInstanceOf(Decision.Create.class);
  }

  @Test
  void aTaskGetsABurstOfEventsThenOneEveryFiveMinutes() {
    for (int i = 0; i < EventCorrelator.BURST; i++) {
      assertThat(correlator.decide("uid-1", "Normal", "Queued", "queued " + i))
          .isNotInstanceOf(Decision.Drop.class);
    }

    assertThat(correlator.decide("uid-1", "Normal", "Queued", "one more"))
        .isInstanceOf(Decision.Drop.class);
    assertThat(correlator.decide("uid-2", "Normal", "Queued", "another task"))
        .isNotInstanceOf(Decision.Drop.class);
    clock.advance(EventCorrelator.REFILL.minus(Duration.ofSeconds(1)));
    assertThat(correlator.decide("uid-1", "Normal", "Queued", "too soon"))
        .isInstanceOf(Decision.Drop.class);
    clock.advance(Duration.ofSeconds(2));
    assertThat(correlator.decide("uid-1", "Normal", "Queued", "after five minutes"))
        .isNotInstanceOf(Decision.Drop.class);
  }

  private static String identity(Decision decision) {
    return switch (decision) {
      case Decision.Create create -> create.identity();
      case Decision.Update update -> update.identity();
      case Decision.Drop drop -> throw new AssertionError("dropped");
    };
  }
}
