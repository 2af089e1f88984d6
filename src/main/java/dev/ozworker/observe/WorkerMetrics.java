package dev.ozworker.observe;

import dev.ozworker.api.FailureReason;
import dev.ozworker.config.WorkerConfig;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryPoolAllocationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * This worker's metrics: the reference worker's series under its names and labels, every series
 * primed at zero so dashboards find them before the first task, a histogram per step of a task's
 * life ({@link TaskPhase}), gauges of queued tasks and unreported results, and the JVM's own.
 *
 * <p>Intake, controller, reporter and link each tell what they saw; a step that begins in one of
 * them and ends in another is timed from an in-process timeline, keyed by AgentTask name.
 */
public final class WorkerMetrics {
  /** Reasons of {@code oz_worker_tasks_rejected_total}: the reference's and ours. */
  public static final String AT_CAPACITY = "at_capacity";

  public static final String INVALID_ASSIGNMENT = "invalid_assignment";
  public static final String STORE_FAILED = "store_failed";
  public static final String SHUTTING_DOWN = "shutting_down";

  /** The API server says the worker itself cannot store tasks (credentials, RBAC, CRD). */
  public static final String WORKER_SETUP = "worker_setup";

  /** Reasons of {@code oz_worker_websocket_reconnects_total}, as the reference names them. */
  public static final String DIAL_FAILED = "dial_failed";

  public static final String REMOTE_CLOSE = "remote_close";

  /** Results of a finished task; {@code dispatched}: handed off by the command backend. */
  public static final List<String> RESULTS =
      List.of("succeeded", "failed", "cancelled", "dispatched");

  /** Where a failure happened, as the reference labels {@code oz_worker_task_failures_total}. */
  public enum FailurePhase {
    assignment,
    backend,
    cleanup
  }

  // The reference's histogram buckets (OpenTelemetry's defaults), kept for comparable dashboards.
  private static final double[] TASK_BUCKETS = {
    0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000
  };

  private final PrometheusRegistry registry;
  private final String backend;
  private final Counter claimed;
  private final Counter rejected;
  private final Counter completed;
  private final Histogram taskDuration;
  private final Counter failures;
  private final Counter reconnects;
  private final TaskSteps steps;

  /**
   * @param registry where the series are registered (the one {@code /metrics} serves)
   * @param backend the worker's backend, for {@code oz_worker_info} and steps before the backend is
   *     known
   */
  public WorkerMetrics(
      PrometheusRegistry registry,
      Clock clock,
      String version,
      String backend,
      String workerId,
      int maxConcurrentTasks) {
    this.registry = registry;
    this.backend = backend;
    claimed =
        Counter.builder()
            .name("oz_worker_tasks_claimed_total")
            .help("Total tasks the worker has claimed since process start.")
            .register(registry);
    claimed.initLabelValues();
    rejected =
        Counter.builder()
            .name("oz_worker_tasks_rejected_total")
            .help("Total tasks the worker has rejected since process start.")
            .labelNames("reason")
            .register(registry);
    List.of(AT_CAPACITY, INVALID_ASSIGNMENT, STORE_FAILED, SHUTTING_DOWN, WORKER_SETUP)
        .forEach(rejected::initLabelValues);
    completed =
        Counter.builder()
            .name("oz_worker_tasks_completed_total")
            .help("Total tasks the worker has finished, labeled by terminal result.")
            .labelNames("result")
            .register(registry);
    RESULTS.forEach(completed::initLabelValues);
    taskDuration =
        Histogram.builder()
            .name("oz_worker_task_duration_seconds")
            .help("Wall-clock duration of task execution on the worker, labeled by result.")
            .labelNames("result")
            .classicOnly()
            .classicUpperBounds(TASK_BUCKETS)
            .register(registry);
    failures =
        Counter.builder()
            .name("oz_worker_task_failures_total")
            .help("Task failures labeled by bounded execution phase and reason.")
            .labelNames("phase", "reason")
            .register(registry);
    for (FailurePhase phase : FailurePhase.values()) {
      for (FailureReason reason : FailureReason.values()) {
        failures.initLabelValues(phase.name(), reason.wireName());
      }
    }
    reconnects =
        Counter.builder()
            .name("oz_worker_websocket_reconnects_total")
            .help("Total WebSocket reconnect attempts since process start.")
            .labelNames("reason")
            .register(registry);
    List.of(DIAL_FAILED, REMOTE_CLOSE).forEach(reconnects::initLabelValues);
    Gauge.builder()
        .name("oz_worker_tasks_max_concurrent")
        .help("Configured upper bound on concurrent tasks for this worker. 0 means unlimited.")
        .register(registry)
        .set(maxConcurrentTasks);
    Gauge.builder()
        .name("oz_worker_info")
        .help("Constant 1 with build/runtime metadata as labels.")
        .labelNames("version", "backend", "worker_id")
        .register(registry)
        .labelValues(version, backend, workerId)
        .set(1);
    for (String result : RESULTS) {
      taskDuration.initLabelValues(result);
    }
    steps = new TaskSteps(registry, clock, TASK_BUCKETS, RESULTS);
  }

  /** The metrics of a worker configured by {@code config}, registered in {@code registry}. */
  public static WorkerMetrics forConfig(
      PrometheusRegistry registry, Clock clock, WorkerConfig config) {
    String version = WorkerMetrics.class.getPackage().getImplementationVersion();
    return new WorkerMetrics(
        registry,
        clock,
        version == null ? "development" : version,
        config.backend().kind().configName(),
        config.workerId(),
        config.maxConcurrentTasks());
  }

  /**
   * Registers the gauges read from the running worker when scraped: the link's state and the
   * numbers of active tasks, queued tasks and unreported results. Called once, when they exist.
   */
  public void watch(
      BooleanSupplier connected, IntSupplier active, IntSupplier queued, LongSupplier unreported) {
    gauge(
        "oz_worker_connected",
        "1 while the worker has a WebSocket connection to Oz, else 0.",
        () -> connected.getAsBoolean() ? 1 : 0);
    gauge(
        "oz_worker_tasks_active",
        "Number of tasks stored for this worker and not finished.",
        active::getAsInt);
    gauge(
        "oz_worker_tasks_queued",
        "Tasks waiting for a free slot (max_concurrent_tasks).",
        queued::getAsInt);
    gauge(
        "oz_worker_results_unreported",
        "Finished Oz tasks whose result is not yet delivered.",
        unreported::getAsLong);
  }

  /**
   * Adds the JVM's own series (memory, GC, threads, classes, process); once per registry. Left to
   * the served worker: each registration adds listeners to the JVM's collectors. These are {@code
   * JvmMetrics}' series but the native-memory ones, which exist only under
   * -XX:NativeMemoryTracking: asking whether it is on starts the JVM's diagnostic-command bean and
   * loads JFR's commands, a tenth of the worker's start (bench/README.md, start_to_connected).
   */
  public void registerJvmMetrics() {
    JvmThreadsMetrics.builder().register(registry);
    JvmBufferPoolMetrics.builder().register(registry);
    JvmClassLoadingMetrics.builder().register(registry);
    JvmCompilationMetrics.builder().register(registry);
    JvmGarbageCollectorMetrics.builder().register(registry);
    JvmMemoryPoolAllocationMetrics.builder().register(registry);
    JvmMemoryMetrics.builder().register(registry);
    JvmRuntimeInfoMetric.builder().register(registry);
    ProcessMetrics.builder().register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** An assignment arrived for the AgentTask {@code task}. */
  public void assigned(String task) {
    steps.assigned(task);
  }

  /** The task's Secret and AgentTask are stored. */
  public void stored(String task) {
    steps.stored(task, backend);
  }

  /** {@code task_claimed} went to the link for a task stored now or before. */
  public void claimed(String task) {
    claimed.inc();
    steps.claimed(task, backend);
  }

  /** An assignment was refused ({@link #AT_CAPACITY}, {@link #INVALID_ASSIGNMENT}, ...). */
  public void rejected(String reason) {
    rejected.labelValues(reason).inc();
  }

  /**
   * A task that could never be stored was claimed and failed at once: counted as claimed, as
   * finished with result {@code failed}, and as a failure in phase {@code assignment}.
   */
  public void failedAtIntake(FailureReason reason) {
    claimed.inc();
    completed.labelValues("failed").inc();
    failures.labelValues(FailurePhase.assignment.name(), reason.wireName()).inc();
  }

  /** The task was handed to {@code taskBackend} (phase Preparing). */
  public void started(String task, String taskBackend) {
    steps.started(task, taskBackend);
  }

  /** The agent runs (phase Running). */
  public void running(String task, String taskBackend) {
    steps.running(task, taskBackend);
  }

  /**
   * The task reached its final phase.
   *
   * @param result one of {@link #RESULTS}
   * @param recorded how long it ran by its status, for a task this process did not start
   */
  public void finished(String task, String taskBackend, String result, Duration recorded) {
    Duration ran = steps.finished(task, taskBackend, result).orElse(recorded);
    completed.labelValues(result).inc();
    taskDuration.labelValues(result).observe(TaskSteps.seconds(ran));
  }

  /** A failure, labelled as the reference labels it. */
  public void failed(FailurePhase phase, FailureReason reason) {
    failures.labelValues(phase.name(), reason.wireName()).inc();
  }

  /** The task's result was delivered to Oz and recorded. */
  public void reported(String task) {
    steps.reported(task);
  }

  /**
   * The link lost its connection ({@link #REMOTE_CLOSE}) or could not dial ({@link #DIAL_FAILED}).
   */
  public void reconnecting(String reason) {
    reconnects.labelValues(reason).inc();
  }

  private void gauge(String name, String help, DoubleSupplier value) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .callback(callback -> callback.call(value.getAsDouble()))
        .register(registry);
  }
}
