package dev.ozworker.cli;

import dev.ozworker.backend.Backend;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.GoDuration;
import dev.ozworker.config.KubernetesBackendConfig;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.runtime.DialledLink;
import dev.ozworker.runtime.Drain;
import dev.ozworker.runtime.WorkerRuntime;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Runs a worker until SIGTERM (or SIGINT), then drains within the shutdown grace period and exits
 * with status 0.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Connect to Oz and to Kubernetes, and run the tasks Oz assigns to this worker until stopped.",
      "Cluster: --kubeconfig, else in-cluster, else KUBECONFIG or ~/.kube/config, else an embedded"
          + " in-process API server (state in memory only).",
      "On SIGTERM the worker takes no new tasks, lets running ones finish while it can, stops the"
          + " rest as graceful_shutdown, reports every result and exits before"
          + " --shutdown-grace-period ends."
    })
final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  /** Exit status when the worker cannot start (cluster or backend unreachable). */
  static final int CANNOT_START = 1;

  /** Exit status when the drain itself failed; tasks may have been left running. */
  static final int DRAIN_FAILED = 1;

  @ParentCommand OzWorkerCommand worker;
  @Spec CommandSpec spec;

  /** The {@code run} subcommand, as picocli builds it. */
  RunCommand() {}

  /** The worker run without a subcommand, as the reference worker is: the cluster is found. */
  RunCommand(OzWorkerCommand worker, CommandSpec spec) {
    this.worker = worker;
    this.spec = spec;
  }

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "Kubeconfig of the cluster to use; default: in-cluster, KUBECONFIG, embedded.")
  Path kubeconfig;

  @Override
  public Integer call() throws ConfigException {
    WorkerConfig config = worker.resolver.resolve(worker.flags());
    Clock clock = Clock.systemUTC();
    PrintWriter err = spec.commandLine().getErr();
    Optional<Path> kubeconfigFile = kubeconfig(config);
    // A backend that needs no cluster is made first: one the reference worker would refuse (a
    // missing target_dir, an unreachable Docker engine) stops this one before it dials too.
    boolean backendNeedsCluster = config.backend().kind() == BackendKind.KUBERNETES;
    Optional<Backend> early = Optional.empty();
    if (!backendNeedsCluster) {
      early = backend(config, clock, Optional.empty(), err);
      if (early.isEmpty()) {
        return CANNOT_START;
      }
    }
    // Then the dial, so the handshake overlaps the start of the cluster (the embedded API server
    // takes the longest) and the controller; the link holds what Oz sends until they run.
    Optional<DialledLink> dialling =
        backendNeedsCluster
            ? Optional.empty()
            : Optional.of(DialledLink.dial(config, clock, LinkTimings.DEFAULT));
    Cluster cluster;
    try {
      cluster = Cluster.connect(kubeconfigFile, worker.environment);
    } catch (RuntimeException e) {
      dialling.ifPresent(DialledLink::close);
      early.ifPresent(Backend::close);
      err.println("oz-worker-operator: cannot reach Kubernetes: " + e.getMessage());
      return CANNOT_START;
    }
    Optional<Backend> made = early;
    if (made.isEmpty()) {
      try {
        made = backend(config, clock, Optional.of(cluster), err);
      } catch (ConfigException e) {
        cluster.close();
        throw e;
      }
      if (made.isEmpty()) {
        cluster.close();
        return CANNOT_START;
      }
    }
    Backend backend = made.get();
    DialledLink dialled =
        dialling.orElseGet(() -> DialledLink.dial(config, clock, LinkTimings.DEFAULT));
    if (cluster.isEmbedded()) {
      LOG.warn(
          "no cluster configured (--kubeconfig, in-cluster, KUBECONFIG, ~/.kube/config): using {};"
              + " task state is in memory only and is lost when the worker exits",
          cluster.description());
    } else {
      LOG.info("using {}", cluster.description());
    }
    WorkerRuntime runtime;
    try {
      runtime =
          WorkerRuntime.start(
              dialled, cluster.client(), List.of(backend), cluster.serverSideApply(), true);
    } catch (RuntimeException | LinkageError e) {
      // A LinkageError (a module missing from a trimmed runtime image) must end the process
      // too: left to propagate, it would stop only this thread while the link's threads live on.
      backend.close();
      cluster.close();
      err.println(
          "oz-worker-operator: cannot start: "
              + (e instanceof LinkageError ? e.toString() : e.getMessage()));
      return CANNOT_START;
    }
    CountDownLatch forever = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            Thread.ofPlatform()
                .name("oz-worker-drain")
                .unstarted(
                    () -> {
                      int status = 0;
                      try {
                        // nothing can adopt a container whose task's state ends with us
                        new Drain(runtime, clock, !cluster.isEmbedded())
                            .run(config.shutdownGracePeriod(), config.cancelGracePeriod());
                        backend.close();
                        cluster.close();
                      } catch (RuntimeException e) {
                        LOG.error("shutting down failed: {}", e.toString());
                        status = DRAIN_FAILED;
                      } finally {
                        spec.commandLine().getOut().flush();
                        err.flush();
                        // A JVM ended by a signal exits 143; a drained worker ends cleanly.
                        Runtime.getRuntime().halt(status);
                      }
                    }));
    // Said once SIGTERM drains: a worker stopped before this line exits as the JVM does (143).
    LOG.info(
        "worker {} running in namespace {} with the {} backend; /metrics, /healthz and /readyz on"
            + " {}:{}; shutdown grace period {}",
        config.workerId(),
        runtime.namespace(),
        backend.kind(),
        config.httpAddress(),
        runtime.httpPort().orElse(config.httpPort()),
        GoDuration.format(config.shutdownGracePeriod()));
    try {
      forever.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** The configured backend; empty, having said why, when it cannot be made. */
  private Optional<Backend> backend(
      WorkerConfig config, Clock clock, Optional<Cluster> cluster, PrintWriter err)
      throws ConfigException {
    try {
      return Optional.of(WorkerBackends.create(config, worker.environment, clock, cluster));
    } catch (IllegalStateException e) {
      err.println("oz-worker-operator: " + e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * The kubeconfig to use: {@code --kubeconfig}, else the Kubernetes backend's {@code kubeconfig}
   * key (the reference worker's place for it); the two must agree, since a task's Pod lives in the
   * cluster of its AgentTask.
   */
  private Optional<Path> kubeconfig(WorkerConfig config) throws ConfigException {
    Optional<Path> key =
        config.backend() instanceof KubernetesBackendConfig kubernetes
            ? kubernetes.kubeconfig().map(Path::of)
            : Optional.empty();
    if (kubeconfig != null && key.isPresent() && !key.get().equals(kubeconfig)) {
      throw new ConfigException(
          "--kubeconfig "
              + kubeconfig
              + " and backend.kubernetes.kubeconfig "
              + key.get()
              + " differ: task Pods must be in the cluster of their AgentTasks, so give one");
    }
    return Optional.ofNullable(kubeconfig).or(() -> key);
  }
}
