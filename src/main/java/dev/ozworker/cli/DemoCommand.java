package dev.ozworker.cli;

import dev.ozworker.api.AgentTask;
import dev.ozworker.backend.Backend;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.LogLevel;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.demo.DemoConfig;
import dev.ozworker.demo.DemoImages;
import dev.ozworker.demo.DemoOzEndpoint;
import dev.ozworker.demo.DemoScenario;
import dev.ozworker.demo.TaskTable;
import dev.ozworker.embedded.EmbeddedApiServer;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.runtime.WorkerRuntime;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The one-command demo: a worker with the Direct backend and a stand-in Oz CLI, on an embedded API
 * server (or the cluster of {@code --kubeconfig}), fed by a local demo Oz endpoint.
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
      "Exit status: 0 when every task ended as expected."
    })
final class DemoCommand implements Callable<Integer> {
  static final String WORKER_ID = "demo-worker";
  static final String NAMESPACE = "oz-demo";
  static final Duration TIMEOUT = Duration.ofSeconds(45);

  /** Containers take longer to prepare than processes, most of all on a busy engine. */
  static final Duration DOCKER_TIMEOUT = Duration.ofSeconds(90);

  @ParentCommand OzWorkerCommand worker;
  @Spec CommandSpec spec;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description =
          "Run against this cluster instead of an embedded API server (namespace "
              + NAMESPACE
              + "; the CRD is installed if missing); watch with: kubectl get at -n "
              + NAMESPACE
              + " -w")
  Path kubeconfig;

  @Override
  public Integer call() throws Exception {
    // The table and the frames tell the story; the worker's own lines would bury them.
    worker.configureLogging(LogLevel.warn);
    PrintWriter out = spec.commandLine().getOut();
    Clock clock = Clock.systemUTC();
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    String secret = "demo-secret-" + UUID.randomUUID();
    BackendKind kind = worker.backend == null ? BackendKind.DIRECT : worker.backend;
    PrintWriter err = spec.commandLine().getErr();
    DemoScenario.Images images = DemoScenario.Images.none();
    List<String> made = new ArrayList<>();
    if (kind == BackendKind.DOCKER) {
      try {
        images = DemoImages.ensure(DemoImages.BUSYBOX, made::add);
      } catch (IllegalStateException | IOException e) {
        err.println(
            "oz-worker-operator demo: --backend docker needs a Docker engine and a static busybox"
                + " to make its images from: "
                + e.getMessage()
                + "; or run the demo with the direct backend (without --backend docker)");
        return RunCommand.CANNOT_START;
      }
    }
    // TMPDIR as shell tools honour it, which the JVM's own temporary directory does not
    String tmp = worker.environment.getOrDefault("TMPDIR", "");
    Path dir =
        Files.createTempDirectory(
                Path.of(tmp.isBlank() ? System.getProperty("java.io.tmpdir") : tmp), "oz-demo-")
            .toAbsolutePath();
    DemoOzEndpoint oz = DemoOzEndpoint.start(frame -> received(out, frame));
    WorkerConfig config =
        DemoConfig.resolve(dir, oz.webSocketUrl(), kind, NAMESPACE, WORKER_ID, worker.environment);
    Backend backend;
    try {
      backend = WorkerBackends.create(config, worker.environment, clock);
    } catch (IllegalStateException e) {
      oz.close();
      err.println("oz-worker-operator demo: " + e.getMessage());
      return RunCommand.CANNOT_START;
    }
    Cluster cluster =
        kubeconfig == null
            ? embedded()
            : Cluster.connect(Optional.of(kubeconfig), worker.environment);
    SharedIndexInformer<AgentTask> watch = null;
    WorkerRuntime runtime = null;
    DemoScenario scenario = null;
    try {
      out.println("oz-worker-operator demo");
      out.println("  Kubernetes API: " + cluster.description() + ", namespace " + NAMESPACE);
      out.println("  Oz: a local demo endpoint at " + oz.webSocketUrl() + " (not Oz)");
      out.println(
          kind == BackendKind.DOCKER
              ? "  agent: a stand-in Oz CLI (demo script) in sidecar image "
                  + DemoImages.AGENT_IMAGE
                  + ", run by the docker backend in containers of "
                  + DemoImages.TASK_IMAGE
                  + " (network none)"
              : "  agent: a stand-in Oz CLI (demo script) at "
                  + dir.resolve("bin/oz")
                  + ", run by the direct backend");
      made.forEach(line -> out.println("  " + line + " (kept for later runs)"));
      if (worker.logLevel == null) {
        out.println("  worker log: warnings only (--log-level info shows every step)");
      }
      out.println();
      prepare(cluster.client());
      TaskTable table = new TaskTable(out, clock);
      table.header();
      watch = watch(cluster.client(), table);
      runtime =
          WorkerRuntime.start(
              cluster.client(),
              config,
              List.of(backend),
              clock,
              cluster.serverSideApply(),
              LinkTimings.DEFAULT);
      scenario = new DemoScenario(cluster.client(), NAMESPACE, oz, out, clock, images);
      boolean asExpected =
          scenario.run(suffix, secret, kind == BackendKind.DOCKER ? DOCKER_TIMEOUT : TIMEOUT);
      out.println("Task logs (secrets masked): " + config.taskLogDir());
      return asExpected ? 0 : 1;
    } finally {
      if (!cluster.isEmbedded() && scenario != null) {
        removeTasks(cluster.client(), scenario.created(), out);
      }
      if (watch != null) {
        watch.close();
      }
      if (runtime != null) {
        runtime.close();
      }
      backend.close();
      cluster.close();
      oz.close();
      out.flush();
    }
  }

  private static Cluster embedded() {
    EmbeddedApiServer server = EmbeddedApiServer.start();
    return new Cluster(
        server.client(),
        "an embedded in-process API server (state in memory only)",
        false,
        Optional.of(server));
  }

  /** On a real cluster: the CRD if it is missing, and the demo's namespace. */
  private static void prepare(KubernetesClient client) {
    var crds = client.apiextensions().v1().customResourceDefinitions();
    if (crds.withName(EmbeddedApiServer.crd().getMetadata().getName()).get() == null) {
      crds.resource(EmbeddedApiServer.crd()).create();
      crds.withName(EmbeddedApiServer.crd().getMetadata().getName())
          .waitUntilCondition(
              crd ->
                  crd != null
                      && crd.getStatus() != null
                      // The API server writes a status before it has conditions in it.
                      && crd.getStatus().getConditions() != null
                      && crd.getStatus().getConditions().stream()
                          .anyMatch(
                              c ->
                                  c.getType().equals("Established")
                                      && c.getStatus().equals("True")),
              30,
              TimeUnit.SECONDS);
    }
    if (client.namespaces().withName(NAMESPACE).get() == null) {
      client
          .namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
          .create();
    }
  }

  private static SharedIndexInformer<AgentTask> watch(KubernetesClient client, TaskTable table) {
    return client
        .resources(AgentTask.class)
        .inNamespace(NAMESPACE)
        .inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(AgentTask task) {
                table.show(task);
              }

              @Override
              public void onUpdate(AgentTask before, AgentTask task) {
                table.show(task);
              }

              @Override
              public void onDelete(AgentTask task, boolean finalStateUnknown) {}
            });
  }

  private static void received(PrintWriter out, DemoOzEndpoint.Frame frame) {
    StringBuilder line =
        new StringBuilder("← ").append(frame.type()).append("  ").append(frame.taskId());
    for (String field : List.of("task_state", "failure_reason", "exit_code", "reason")) {
      if (frame.data().has(field)) {
        line.append("  ").append(field).append('=').append(frame.data().path(field).asText());
      }
    }
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  /** Deletes what the demo created on a real cluster, and waits until the worker let them go. */
  private static void removeTasks(KubernetesClient client, List<String> names, PrintWriter out) {
    var tasks = client.resources(AgentTask.class).inNamespace(NAMESPACE);
    for (String name : names) {
      tasks.withName(name).delete();
    }
    for (String name : names) {
      tasks.withName(name).waitUntilCondition(task -> task == null, 30, TimeUnit.SECONDS);
    }
    out.println("Removed the demo's " + names.size() + " AgentTasks from namespace " + NAMESPACE);
  }
}
