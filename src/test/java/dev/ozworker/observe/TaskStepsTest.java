package dev.ozworker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.MutableClock;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskStepsTest {
  final PrometheusRegistry registry = new PrometheusRegistry();
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T10:00:00Z"));
  final TaskSteps steps =
      new TaskSteps(registry, clock, new double[] {1, 10, 100}, List.of("succeeded", "failed"));

  @Test
  void aTaskTimesItsRunAndThenItsReport() {
    steps.started("t", "direct");
    clock.advance(Duration.ofSeconds(5));
    steps.finished("t", "direct", "succeeded");
    clock.advance(Duration.ofSeconds(2));
    steps.reported("t");

    assertThat(point(TaskPhase.RUN).getCount()).isEqualTo(1);
    assertThat(point(TaskPhase.RUN).getSum()).isEqualTo(5.0);
    assertThat(point(TaskPhase.REPORT).getCount()).isEqualTo(1);
    assertThat(point(TaskPhase.REPORT).getSum()).isEqualTo(2.0);
  }

  @Test
  void aResultReportedBeforeTheFinalPhaseIsToldHereStillTimesTheRunAndTheReportOnce() {
    steps.started("t", "direct");
    clock.advance(Duration.ofSeconds(5));
    // The reporter saw the stored final phase before the status writer told the metrics.
    steps.reported("t");
    steps.finished("t", "direct", "succeeded");
    steps.reported("t");

    assertThat(point(TaskPhase.RUN).getCount()).isEqualTo(1);
    assertThat(point(TaskPhase.RUN).getSum()).isEqualTo(5.0);
    assertThat(point(TaskPhase.REPORT).getCount()).isEqualTo(1);
    assertThat(point(TaskPhase.REPORT).getSum()).isZero();
  }

  @Test
  void aReportOfATaskThisProcessNeverSawTimesNothing() {
    steps.reported("from-before-a-restart");

    assertThat(point(TaskPhase.REPORT).getCount()).isZero();
  }

  private HistogramDataPointSnapshot point(TaskPhase phase) {
    for (MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot instanceof HistogramSnapshot histogram
          && phase.metricName().equals(histogram.getMetadata().getPrometheusName())) {
        return histogram.getDataPoints().stream()
            .filter(p -> "direct".equals(p.getLabels().get("backend")))
            .filter(p -> !phase.hasResult() || "succeeded".equals(p.getLabels().get("result")))
            .findFirst()
            .orElseThrow();
      }
    }
    throw new AssertionError("no histogram " + phase.metricName());
  }
}
