package dev.ozworker.runtime;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.backend.Backend;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.AgentTaskController;
import dev.ozworker.intake.AssignmentMapping;
import dev.ozworker.intake.ClaimOrder;
import dev.ozworker.intake.ResultReporter;
import dev.ozworker.intake.SecretHandOff;
import dev.ozworker.intake.TaskIntake;
import dev.ozworker.intake.WorkerTaskIndex;
import dev.ozworker.observe.ApiServerCheck;
import dev.ozworker.observe.Probes;
import dev.ozworker.observe.WorkerHttpServer;
import dev.ozworker.observe.WorkerMetrics;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.OzLink;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One worker replica, assembled: the controller that runs this worker's AgentTasks, and the link to
 * Oz with the intake that stores assignments and the reporter that delivers results. The link dials
 * first, while the rest starts; what arrives is held until the controller runs and this worker's
 * tasks are listed, so an assignment is only taken once the worker can run it and knows what it
 * runs.
 */
public final class WorkerRuntime implements AutoCloseable {
  /** How long {@code /readyz} waits for the API server before answering 503. */
  private static final Duration API_SERVER_DEADLINE = Duration.ofSeconds(2);

  private final AgentTaskController controller;
  private final SharedIndexInformer<AgentTask> tasks;
  private final WorkerTaskIndex index;
  private final ResultReporter reporter;
  private final TaskIntake intake;
  private final OzLink link;
  private final WorkerMetrics metrics;
  private final Optional<WorkerHttpServer> http;

  private WorkerRuntime(
      AgentTaskController controller,
      SharedIndexInformer<AgentTask> tasks,
      WorkerTaskIndex index,
      ResultReporter reporter,
      TaskIntake intake,
      OzLink link,
      WorkerMetrics metrics,
      Optional<WorkerHttpServer> http) {
    this.controller = controller;
    this.tasks = tasks;
    this.index = index;
    this.reporter = reporter;
    this.intake = intake;
    this.link = link;
    this.metrics = metrics;
    this.http = http;
  }

  /**
   * Dials Oz, starts the controller, waits for this worker's tasks to be listed, then hands the
   * intake what arrived meanwhile.
   *
   * @param serverSideApply false for the embedded API server, which refuses such patches
   */
  public static WorkerRuntime start(
      KubernetesClient client,
      WorkerConfig config,
      List<Backend> backends,
      Clock clock,
      boolean serverSideApply,
      LinkTimings timings) {
    return start(client, config, backends, clock, serverSideApply, timings, false);
  }

  /**
   * Starts the worker as above; with {@code serveHttp}, also serves {@code /metrics}, {@code
   * /healthz} and {@code /readyz} on the configured {@code http_address}:{@code http_port}.
   */
  public static WorkerRuntime start(
      KubernetesClient client,
      WorkerConfig config,
      List<Backend> backends,
      Clock clock,
      boolean serverSideApply,
      LinkTimings timings,
      boolean serveHttp) {
    return start(
        DialledLink.dial(config, clock, timings), client, backends, serverSideApply, serveHttp);
  }

  /**
   * Assembles the worker around a link that is already dialling: starts the controller, waits for
   * this worker's tasks to be listed, then hands the intake what the link has held meanwhile. When
   * this fails, the link is closed, having claimed nothing.
   */
  public static WorkerRuntime start(
      DialledLink dialled,
      KubernetesClient client,
      List<Backend> backends,
      boolean serverSideApply,
      boolean serveHttp) {
    try {
      return assemble(dialled, client, backends, serverSideApply, serveHttp);
    } catch (RuntimeException | LinkageError e) {
      dialled.close();
      throw e;
    }
  }

  private static WorkerRuntime assemble(
      DialledLink dialled,
      KubernetesClient client,
      List<Backend> backends,
      boolean serverSideApply,
      boolean serveHttp) {
    WorkerConfig config = dialled.config();
    WorkerMetrics metrics = dialled.metrics();
    OzLink link = dialled.link();
    backends.forEach(
        backend ->
            backend.reportFailuresTo(
                failure -> metrics.failed(WorkerMetrics.FailurePhase.backend, failure.reason())));
    AgentTaskController controller =
        AgentTaskController.start(
            client, config, backends, dialled.clock(), serverSideApply, metrics);
    String namespace = controller.namespace();
    SharedIndexInformer<AgentTask> tasks =
        client
            .resources(AgentTask.class)
            .inNamespace(namespace)
            .withLabel(AgentTaskKeys.WORKER_ID_LABEL, config.workerId())
            .runnableInformer(0);
    WorkerTaskIndex index = new WorkerTaskIndex(tasks, namespace, config.maxConcurrentTasks());
    ClaimOrder claims = new ClaimOrder();
    IntakeProof proof = IntakeProof.of(config.apiKey());
    ResultReporter reporter =
        new ResultReporter(client, tasks, link::deliver, metrics, proof, claims);
    TaskIntake intake =
        new TaskIntake(
            client,
            namespace,
            config.workerId(),
            new AssignmentMapping(config.workerId(), config.backend().kind(), config.podName()),
            index,
            link::reply,
            reporter::connected,
            name -> reporter.resend(namespace, name),
            metrics,
            secretHandOff(controller),
            claims,
            proof);
    try {
      tasks.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      new WorkerRuntime(controller, tasks, index, reporter, intake, link, metrics, Optional.empty())
          .close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("cannot list this worker's AgentTasks in " + namespace, e);
    }
    metrics.watch(link::isConnected, index::active, controller::queuedTasks, reporter::unreported);
    Optional<WorkerHttpServer> http = Optional.empty();
    if (serveHttp) {
      ApiServerCheck apiServer = new ApiServerCheck(client, namespace, API_SERVER_DEADLINE);
      Probes probes =
          new Probes(
              () -> link.isAlive() ? controller.notRunning() : Optional.of("the Oz link stopped"),
              () ->
                  apiServer
                      .problem()
                      .or(intake::notReady)
                      .or(controller::notSynced)
                      .or(
                          () ->
                              tasks.hasSynced()
                                  ? Optional.empty()
                                  : Optional.of("this worker's AgentTasks are not listed yet")));
      try {
        http =
            Optional.of(
                WorkerHttpServer.start(
                    config.httpAddress(), config.httpPort(), metrics.registry(), probes));
      } catch (RuntimeException | LinkageError e) {
        new WorkerRuntime(
                controller, tasks, index, reporter, intake, link, metrics, Optional.empty())
            .close();
        throw e;
      }
    }
    // Last: a worker that cannot serve its probes (a port in use) stops before it has claimed
    // anything from Oz, not after
    dialled.held().handTo(intake);
    if (serveHttp) {
      // After the intake takes over, while the link waits on the network: the JVM's series load
      // the management beans and their classes, nothing the link or the probes need.
      metrics.registerJvmMetrics();
    }
    return new WorkerRuntime(controller, tasks, index, reporter, intake, link, metrics, http);
  }

  /** This worker's metrics, as {@code /metrics} serves them. */
  public WorkerMetrics metrics() {
    return metrics;
  }

  /** The port of {@code /metrics}, {@code /healthz} and {@code /readyz}; empty when not served. */
  public Optional<Integer> httpPort() {
    return http.map(WorkerHttpServer::port);
  }

  public boolean isConnected() {
    return link.isConnected();
  }

  /** Tasks stored for this worker and not finished, or not yet torn down. */
  public int activeTasks() {
    return Math.max(index.active(), controller.activeTasks());
  }

  /** Finished Oz tasks whose result has not been delivered yet. */
  public long unreportedResults() {
    return reporter.unreported();
  }

  public String namespace() {
    return controller.namespace();
  }

  /**
   * Takes no new tasks: new assignments are rejected, nothing more is claimed or started. With
   * {@code handOver}, running containers are left for the replica that adopts their tasks; without,
   * they are stopped with the rest.
   */
  void stopTaking(boolean handOver) {
    intake.stopTaking();
    if (handOver) {
      controller.handOver();
    } else {
      controller.drain();
    }
  }

  /** Running containers this worker leaves going for the replica that adopts its tasks. */
  int handedOver() {
    return controller.handedOver();
  }

  /** Stops every task still running, as {@code graceful_shutdown}. */
  void stopRuns(Duration grace) {
    controller.stopRuns(grace);
  }

  /**
   * Nothing of this worker is unfinished but what it hands over: no task waits, runs (other than in
   * a container left for another replica), or awaits its teardown.
   */
  boolean idle() {
    int handedOver = controller.handedOver();
    return index.active() <= handedOver && controller.activeTasks() <= handedOver;
  }

  /** Closes the link (code 1000), stops taking work and watching; tasks keep running. */
  @Override
  public void close() {
    http.ifPresent(WorkerHttpServer::close);
    link.close();
    intake.close();
    reporter.close();
    tasks.close();
    controller.close();
  }

  /** The intake's news of task Secrets, for the controller in the same process. */
  private static SecretHandOff secretHandOff(AgentTaskController controller) {
    return new SecretHandOff() {
      @Override
      public void expected(String namespace, String taskName, String secretName) {
        controller.secretExpected(namespace, taskName, secretName);
      }

      @Override
      public void created(Secret secret) {
        controller.secretCreated(secret);
      }

      @Override
      public void abandoned(String namespace, String secretName) {
        controller.secretAbandoned(namespace, secretName);
      }
    };
  }
}
