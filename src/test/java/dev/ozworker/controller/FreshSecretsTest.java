package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.MutableClock;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FreshSecretsTest {
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T10:00:00Z"));
  final FreshSecrets fresh = new FreshSecrets(clock);

  @Test
  void aSecretIsTakenOnceAndOnlyByItsNamespaceAndName() {
    fresh.offer(secret("team-a", "t1-env"));

    assertThat(fresh.take("team-b", "t1-env")).isEmpty();
    assertThat(fresh.take("team-a", "t1-env"))
        .hasValueSatisfying(s -> assertThat(s.getStringData()).containsEntry("K", "t1-env"));
    assertThat(fresh.take("team-a", "t1-env")).as("taken already").isEmpty();
  }

  @Test
  void aSecretNobodyTakesIsDroppedAfterAMinute() {
    fresh.offer(secret("ns", "early-env"));
    clock.advance(FreshSecrets.KEPT_FOR.minusSeconds(1));
    fresh.offer(secret("ns", "later-env"));
    clock.advance(Duration.ofSeconds(2));

    assertThat(fresh.size()).isEqualTo(1);
    assertThat(fresh.take("ns", "early-env")).isEmpty();
    assertThat(fresh.take("ns", "later-env")).isPresent();
  }

  @Test
  void beyondItsCapacityTheOldestIsDropped() {
    for (int i = 0; i <= FreshSecrets.CAPACITY; i++) {
      fresh.offer(secret("ns", "t" + i + "-env"));
    }

    assertThat(fresh.size()).isEqualTo(FreshSecrets.CAPACITY);
    assertThat(fresh.take("ns", "t0-env")).isEmpty();
    assertThat(fresh.take("ns", "t" + FreshSecrets.CAPACITY + "-env")).isPresent();
  }

  @Test
  void aSecretOfferedAgainReplacesTheEarlierOne() {
    fresh.offer(secret("ns", "t-env"));
    fresh.offer(new SecretBuilder(secret("ns", "t-env")).addToStringData("K", "second").build());

    assertThat(fresh.size()).isEqualTo(1);
    assertThat(fresh.take("ns", "t-env"))
        .hasValueSatisfying(s -> assertThat(s.getStringData()).containsEntry("K", "second"));
  }

  private static Secret secret(String namespace, String name) {
    return new SecretBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .endMetadata()
        .addToStringData("K", name)
        .build();
  }
}
