package dev.ozworker.observe;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;

/** Metrics of a test worker, in a registry of their own. */
public final class TestMetrics {
  private TestMetrics() {}

  public static WorkerMetrics create() {
    return new WorkerMetrics(
        new PrometheusRegistry(), Clock.systemUTC(), "test", "docker", "test-worker", 0);
  }
}
