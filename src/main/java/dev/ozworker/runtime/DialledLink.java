package dev.ozworker.runtime;

import dev.ozworker.config.WorkerConfig;
import dev.ozworker.observe.WorkerMetrics;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.OzLink;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.util.random.RandomGenerator;

/**
 * The link to Oz of a worker not yet assembled: dialling from the start, what arrives held until
 * {@link WorkerRuntime#start(DialledLink, io.fabric8.kubernetes.client.KubernetesClient,
 * java.util.List, boolean, boolean)} hands it to the intake. Closed, it closes the link, for a
 * worker that cannot start.
 */
public final class DialledLink implements AutoCloseable {
  private final WorkerConfig config;
  private final Clock clock;
  private final WorkerMetrics metrics;
  private final OzLink link;
  private final HeldFrames held = new HeldFrames();

  private DialledLink(WorkerConfig config, Clock clock, LinkTimings timings) {
    this.config = config;
    this.clock = clock;
    this.metrics = WorkerMetrics.forConfig(new PrometheusRegistry(), clock, config);
    this.link =
        new OzLink(
            config.webSocketUrl(),
            config.workerId(),
            config.apiKey(),
            timings,
            clock,
            RandomGenerator.getDefault(),
            metrics);
  }

  /** Starts dialling Oz; returns at once. */
  public static DialledLink dial(WorkerConfig config, Clock clock, LinkTimings timings) {
    DialledLink dialled = new DialledLink(config, clock, timings);
    dialled.link.start(dialled.held);
    return dialled;
  }

  WorkerConfig config() {
    return config;
  }

  Clock clock() {
    return clock;
  }

  WorkerMetrics metrics() {
    return metrics;
  }

  OzLink link() {
    return link;
  }

  HeldFrames held() {
    return held;
  }

  @Override
  public void close() {
    link.close();
  }
}
