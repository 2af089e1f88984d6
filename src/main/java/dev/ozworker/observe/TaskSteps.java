package dev.ozworker.observe;

import dev.ozworker.config.BackendKind;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The histogram of each {@link TaskPhase}, fed from the milestones components report: each
 * milestone ends the step since the one before it, when this process saw that one too.
 */
final class TaskSteps {
  // Short steps: an API write or two, an image pull, a setup command.
  private static final double[] STEP_BUCKETS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300
  };

  private final Clock clock;
  private final TaskTimeline timeline = new TaskTimeline();
  private final Map<TaskPhase, Histogram> histograms = new EnumMap<>(TaskPhase.class);

  /**
   * @param runBuckets bounds of the run's histogram, the reference's task duration buckets
   * @param results the values of the {@code result} label, each primed
   */
  TaskSteps(PrometheusRegistry registry, Clock clock, double[] runBuckets, List<String> results) {
    this.clock = clock;
    for (TaskPhase phase : TaskPhase.values()) {
      Histogram histogram =
          Histogram.builder()
              .name(phase.metricName())
              .help("Seconds from " + phase.help() + ".")
              .labelNames(
                  phase.hasResult() ? new String[] {"backend", "result"} : new String[] {"backend"})
              .classicOnly()
              .classicUpperBounds(phase == TaskPhase.RUN ? runBuckets : STEP_BUCKETS)
              .register(registry);
      // Zero observations, not a zero value: the series exist without counting a task.
      for (BackendKind kind : BackendKind.values()) {
        if (phase.hasResult()) {
          results.forEach(result -> histogram.initLabelValues(kind.configName(), result));
        } else {
          histogram.initLabelValues(kind.configName());
        }
      }
      histograms.put(phase, histogram);
    }
  }

  void assigned(String task) {
    Instant now = clock.instant();
    timeline.update(task, entry -> entry.assigned = now);
  }

  void stored(String task, String backend) {
    Instant now = clock.instant();
    observe(TaskPhase.STORE, task, entry -> entry.assigned, now, backend);
    timeline.update(task, entry -> entry.stored = now);
  }

  void claimed(String task, String backend) {
    Instant now = clock.instant();
    observe(TaskPhase.CLAIM, task, entry -> entry.stored, now, backend);
    timeline.update(task, entry -> entry.claimed = now);
  }

  void started(String task, String backend) {
    Instant now = clock.instant();
    observe(TaskPhase.START, task, entry -> entry.claimed, now, backend);
    timeline.update(task, entry -> entry.started = now);
  }

  void running(String task, String backend) {
    Instant now = clock.instant();
    observe(TaskPhase.PREPARE, task, entry -> entry.started, now, backend);
    timeline.update(task, entry -> entry.running = now);
  }

  /** The task ended; how long it ran, when this process handed it to the backend. */
  Optional<Duration> finished(String task, String backend, String result) {
    Instant now = clock.instant();
    Seen seen =
        timeline.update(
            task,
            entry -> {
              entry.finished = now;
              entry.backend = backend;
              entry.result = result;
              return new Seen(entry.started, entry.reported);
            });
    if (seen.reported() != null) {
      // The result went to Oz between the final status write and this call, which follows it.
      observeReport(backend, result, Duration.ZERO);
      timeline.forget(task);
    }
    if (seen.started() == null) {
      return Optional.empty();
    }
    Duration ran = Duration.between(seen.started(), now);
    histograms.get(TaskPhase.RUN).labelValues(backend, result).observe(seconds(ran));
    return Optional.of(ran);
  }

  /**
   * The result was delivered and recorded; the task's timeline ends here, or, when the final phase
   * is not known here yet, when it is.
   */
  void reported(String task) {
    Instant now = clock.instant();
    timeline
        .updateIfPresent(
            task,
            entry -> {
              if (entry.finished == null) {
                entry.reported = now;
              }
              return entry.ending();
            })
        .ifPresent(
            end -> {
              observeReport(end.backend(), end.result(), Duration.between(end.at(), now));
              timeline.forget(task);
            });
  }

  private record Seen(Instant started, Instant reported) {}

  private void observeReport(String backend, String result, Duration took) {
    histograms.get(TaskPhase.REPORT).labelValues(backend, result).observe(seconds(took));
  }

  static double seconds(Duration duration) {
    return Math.max(0, duration.toNanos() / 1e9);
  }

  private void observe(
      TaskPhase phase,
      String task,
      Function<TaskTimeline.Milestones, Instant> since,
      Instant now,
      String backend) {
    timeline
        .read(task, since)
        .ifPresent(
            from ->
                histograms
                    .get(phase)
                    .labelValues(backend)
                    .observe(seconds(Duration.between(from, now))));
  }
}
