package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.javaoperatorsdk.operator.processing.retry.RetryExecution;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReconcileRetryTest {

  @Test
  void startsAtOneSecondDoublesAndStopsGrowingAtTheCeiling() {
    RetryExecution retry = AgentTaskController.retry().initExecution();
    List<Long> delays = new ArrayList<>();
    for (int attempt = 0; attempt < 8; attempt++) {
      delays.add(retry.nextDelay().orElseThrow());
    }

    // JOSDK waits the initial interval twice before it starts multiplying
    assertThat(delays).containsExactly(1000L, 1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L);
  }

  @Test
  void neverGivesUpOnATaskWhoseReconcileKeepsFailing() {
    // an hour of an API server that answers 503: still retrying, at most 30 s apart
    RetryExecution retry = AgentTaskController.retry().initExecution();
    long waited = 0;
    while (waited < 3_600_000L) {
      Optional<Long> next = retry.nextDelay();
      assertThat(next).as("after %d ms of failures", waited).isPresent();
      assertThat(next.get()).isLessThanOrEqualTo(AgentTaskController.RETRY_CEILING.toMillis());
      waited += next.get();
    }
    assertThat(retry.isLastAttempt()).isFalse();
  }
}
