package dev.ozworker.cli;

import dev.ozworker.config.BackendKind;
import dev.ozworker.config.LogLevel;
import dev.ozworker.demo.Demo;
import dev.ozworker.demo.DemoCluster;
import dev.ozworker.demo.DemoImages;
import dev.ozworker.embedded.EmbeddedApiServer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: picks the demo's backend (Direct unless {@code --backend docker} or {@code
 * kubernetes}) and its cluster (an embedded API server unless {@code --kubeconfig}), and runs the
 * {@link Demo} on them; the backend is made on that cluster, where the Kubernetes backend makes its
 * Pods.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the worker end to end on this machine, no cluster or Oz account needed: a local demo"
          + " Oz endpoint assigns three tasks (one succeeds, one fails, one is cancelled) while the"
          + " example AgentTask is applied; a live table shows them move, then a summary.",
      "With --backend docker the tasks run in containers on the local Docker engine, from images"
          + " the demo makes from /bin/busybox (busybox-static) and keeps: "
          + DemoImages.TASK_IMAGE
          + " and "
          + DemoImages.AGENT_IMAGE
          + ".",
      "With --backend kubernetes (needs --kubeconfig) the tasks run as Pods in namespace "
          + Demo.NAMESPACE
          + ", from an image the demo makes the same way on the local Docker engine and never"
          + " pulls: "
          + DemoImages.POD_IMAGE
          + "; the cluster's node must run it from that engine (or have it loaded).",
      "Exit status: 0 when every task ended as expected."
    })
final class DemoCommand implements Callable<Integer> {
  @ParentCommand OzWorkerCommand worker;
  @Spec CommandSpec spec;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description =
          "Run against this cluster instead of an embedded API server, in namespace "
              + Demo.NAMESPACE
              + ": the AgentTask CRD and the namespace are installed first if missing, then the"
              + " demo prints the kubectl command that watches its tasks.")
  Path kubeconfig;

  @Option(
      names = "--keep",
      description =
          "Leave the demo's AgentTasks that ended (with their Secrets and Events) in namespace "
              + Demo.NAMESPACE
              + " for kubectl get and describe, and print how to remove them. Needs --kubeconfig.")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    if (keep && kubeconfig == null) {
      // Refused before anything starts: an embedded API server's state ends with the demo, so
      // there would be nothing to look at afterwards.
      throw new ParameterException(
          spec.commandLine(),
          "--keep needs --kubeconfig: without it the demo runs on an embedded API server whose"
              + " tasks end with the demo; run demo --kubeconfig FILE --keep");
    }
    // The table and the frames tell the story; the worker's own lines would bury them.
    worker.configureLogging(LogLevel.warn);
    Clock clock = Clock.systemUTC();
    BackendKind kind = worker.backendFlag().orElse(BackendKind.DIRECT);
    Demo demo;
    try {
      demo =
          Demo.prepare(
              kind, kubeconfig != null, worker.environment, clock, spec.commandLine().getOut());
    } catch (Demo.CannotStart e) {
      return cannotStart(e);
    }
    try (demo;
        Cluster cluster =
            kubeconfig == null
                ? embedded()
                : Cluster.connect(Optional.of(kubeconfig), worker.environment)) {
      boolean asExpected =
          demo.run(
              new DemoCluster(
                  cluster.client(),
                  cluster.description(),
                  cluster.serverSideApply(),
                  cluster.isEmbedded()),
              config ->
                  WorkerBackends.create(config, worker.environment, clock, Optional.of(cluster)),
              !worker.logLevelGiven(),
              keep);
      return asExpected ? 0 : 1;
    } catch (Demo.CannotStart e) {
      return cannotStart(e);
    }
  }

  private int cannotStart(Demo.CannotStart e) {
    spec.commandLine().getErr().println("oz-worker-operator demo: " + e.getMessage());
    return RunCommand.CANNOT_START;
  }

  private static Cluster embedded() {
    EmbeddedApiServer server = EmbeddedApiServer.start();
    return new Cluster(
        server.client(WorkerSerialization.create()),
        "an embedded in-process API server (state in memory only)",
        false,
        Optional.of(server));
  }
}
