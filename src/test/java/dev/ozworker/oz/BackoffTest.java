package dev.ozworker.oz;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {
  /** Always picks the top of the range, so the ceilings show. */
  static final RandomGenerator HIGHEST =
      new RandomGenerator() {
        @Override
        public long nextLong() {
          return Long.MAX_VALUE;
        }

        @Override
        public long nextLong(long bound) {
          return bound - 1;
        }
      };

  final Backoff backoff = new Backoff(LinkTimings.DEFAULT, HIGHEST);

  @Test
  void failedDialsDoubleTheCeilingFromOneSecondUpToAMinute() {
    List<Long> seconds = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      seconds.add(backoff.afterFailedDial().toSeconds());
    }

    assertThat(seconds).containsExactly(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L, 60L);
  }

  @Test
  void waitsAreJitteredOverTheWholeRange() {
    Backoff jittered = new Backoff(LinkTimings.DEFAULT, RandomGenerator.of("L64X128MixRandom"));
    for (int i = 0; i < 6; i++) {
      jittered.afterFailedDial();
    }
    List<Duration> waits = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      waits.add(jittered.afterFailedDial());
    }

    assertThat(waits).allMatch(wait -> wait.compareTo(Duration.ofSeconds(60)) <= 0);
    assertThat(waits).anyMatch(wait -> wait.compareTo(Duration.ofSeconds(15)) < 0);
    assertThat(waits).anyMatch(wait -> wait.compareTo(Duration.ofSeconds(45)) > 0);
    assertThat(waits.stream().distinct().count()).isGreaterThan(150);
  }

  @Test
  void aConnectionThatDiesYoungKeepsBackingOff() {
    backoff.afterFailedDial();
    backoff.afterFailedDial();

    Duration afterYoungDeath = backoff.afterClose(Duration.ofSeconds(2));
    Duration next = backoff.afterClose(Duration.ofSeconds(3));

    assertThat(afterYoungDeath).isEqualTo(Duration.ofSeconds(4));
    assertThat(next).isEqualTo(Duration.ofSeconds(8));
  }

  @Test
  void aHealthyMinuteResetsTheSequenceAndRedialsAtOnce() {
    for (int i = 0; i < 5; i++) {
      backoff.afterFailedDial();
    }

    assertThat(backoff.afterClose(Duration.ofMinutes(5))).isZero();
    assertThat(backoff.afterFailedDial()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aConnectionUpForAWhileButNotHealthyRetriesSoonWithoutResetting() {
    for (int i = 0; i < 3; i++) {
      backoff.afterFailedDial();
    }

    assertThat(backoff.afterClose(Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(1));
    assertThat(backoff.afterFailedDial()).isEqualTo(Duration.ofSeconds(8));
  }

  @Test
  void aRefusedKeyWaitsBetweenHalfAndAllOfTheSlowRetry() {
    Backoff lowest =
        new Backoff(
            LinkTimings.DEFAULT,
            new RandomGenerator() {
              @Override
              public long nextLong() {
                return 0;
              }

              @Override
              public long nextLong(long bound) {
                return 0;
              }
            });

    assertThat(backoff.afterAuthRefused()).isEqualTo(Duration.ofSeconds(60));
    assertThat(lowest.afterAuthRefused()).isEqualTo(Duration.ofSeconds(30));
  }
}
