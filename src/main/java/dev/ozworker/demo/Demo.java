package dev.ozworker.demo;

import dev.ozworker.api.AgentTask;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.kubernetes.PodLabels;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.WorkerConfig;
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
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The one-command demo: a worker with the Direct backend and a stand-in Oz CLI (or the Docker
 * backend on the demo's images, or the Kubernetes backend running the demo's image in Pods), on the
 * Kubernetes API the command line chose, fed by a local demo Oz endpoint; a live table of its
 * AgentTasks, then a summary. {@link #prepare} makes everything that needs no cluster, {@link #run}
 * connects the backend and runs the demo on one.
 */
public final class Demo implements AutoCloseable {
  public static final String WORKER_ID = "demo-worker";
  public static final String NAMESPACE = "oz-demo";
  static final Duration TIMEOUT = Duration.ofSeconds(45);

  /** Containers take longer to prepare than processes, most of all on a busy engine. */
  static final Duration DOCKER_TIMEOUT = Duration.ofSeconds(90);

  /** Pods wait for the scheduler and a kubelet as well, and their states come through the API. */
  static final Duration POD_TIMEOUT = Duration.ofSeconds(120);

  /**
   * Makes and connects the backend a worker's configuration names, on the demo's cluster (where the
   * Kubernetes backend makes its Pods).
   */
  public interface Backends {
    /**
     * @throws ConfigException when the configuration cannot work on this machine
     * @throws IllegalStateException when the backend cannot start, saying why
     */
    Backend create(WorkerConfig config) throws ConfigException;
  }

  /** The demo cannot start on this machine; the message says why and what to do. */
  public static final class CannotStart extends Exception {
    CannotStart(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final BackendKind kind;
  private final PrintWriter out;
  private final Clock clock;
  private final Path dir;
  private final DemoOzEndpoint oz;
  private final WorkerConfig config;
  private final DemoScenario.Images images;
  private final List<String> made;

  private Demo(
      BackendKind kind,
      PrintWriter out,
      Clock clock,
      Path dir,
      DemoOzEndpoint oz,
      WorkerConfig config,
      DemoScenario.Images images,
      List<String> made) {
    this.kind = kind;
    this.out = out;
    this.clock = clock;
    this.dir = dir;
    this.oz = oz;
    this.config = config;
    this.images = images;
    this.made = made;
  }

  /**
   * Makes what the demo needs before it has a cluster: with Docker or Kubernetes its images, then
   * its directory, the demo Oz endpoint and the worker's configuration.
   *
   * @param realCluster whether the demo will run on the cluster of a kubeconfig rather than on the
   *     embedded API server, which has no nodes to run Pods on
   * @param env the worker's environment ({@code TMPDIR}, and what the Direct backend inherits)
   * @param out where the demo tells its story
   */
  public static Demo prepare(
      BackendKind kind, boolean realCluster, Map<String, String> env, Clock clock, PrintWriter out)
      throws CannotStart, ConfigException, IOException {
    if (kind == BackendKind.KUBERNETES && !realCluster) {
      throw new CannotStart(
          "--backend kubernetes runs the demo's tasks as Pods, which needs a cluster with a node:"
              + " the embedded API server has none; run demo --backend kubernetes --kubeconfig"
              + " FILE, or run the demo without --backend",
          null);
    }
    if (kind == BackendKind.COMMAND) {
      throw new CannotStart(
          "--backend command hands tasks to another runtime, so the demo would see none of them"
              + " run: run the demo without --backend, or with docker or kubernetes; see"
              + " examples/command-backend/ for trying the command backend",
          null);
    }
    List<String> made = new ArrayList<>();
    DemoScenario.Images images = images(kind, made);
    // TMPDIR as shell tools honour it, which the JVM's own temporary directory does not
    String tmp = env.getOrDefault("TMPDIR", "");
    Path dir =
        Files.createTempDirectory(
                Path.of(tmp.isBlank() ? System.getProperty("java.io.tmpdir") : tmp), "oz-demo-")
            .toAbsolutePath();
    DemoOzEndpoint oz = DemoOzEndpoint.start(frame -> received(out, frame));
    WorkerConfig config =
        DemoConfig.resolve(dir, oz.webSocketUrl(), kind, NAMESPACE, WORKER_ID, env);
    return new Demo(kind, out, clock, dir, oz, config, images, made);
  }

  /** The images the demo's tasks run in, made on the local Docker engine if missing. */
  private static DemoScenario.Images images(BackendKind kind, List<String> made)
      throws CannotStart {
    try {
      return switch (kind) {
        case DIRECT, COMMAND -> DemoScenario.Images.none();
        case DOCKER -> DemoImages.ensure(DemoImages.BUSYBOX, made::add);
        case KUBERNETES -> DemoImages.ensureForPods(DemoImages.BUSYBOX, made::add);
      };
    } catch (IllegalStateException | IOException e) {
      throw new CannotStart(
          "--backend "
              + kind.configName()
              + " needs a Docker engine and a static busybox to make its images from: "
              + e.getMessage()
              + (kind == BackendKind.KUBERNETES
                  ? "; the cluster's node runs the image from that engine, as it is never pulled"
                  : "")
              + "; or run the demo with the direct backend (without --backend "
              + kind.configName()
              + ")",
          e);
    }
  }

  /**
   * Runs the demo on {@code cluster}: its backend, its tasks, the live table, the summary. On a
   * real cluster the AgentTasks it created are removed at the end, or kept when {@code keep} says
   * so; either way the worker and its backend are stopped and none of their runs is left going.
   *
   * @param backends makes the backend, once the demo's namespace exists (the Kubernetes backend
   *     checks there that it may make task Pods)
   * @param quietWorkerLog whether the worker logs warnings only (no log level was asked for)
   * @param keep whether the tasks that ended stay on a real cluster, for kubectl to show
   * @return whether every task ended as expected
   * @throws CannotStart when the backend cannot start, saying why
   * @throws ConfigException when the backend's configuration cannot work on this machine
   */
  public boolean run(DemoCluster cluster, Backends backends, boolean quietWorkerLog, boolean keep)
      throws CannotStart, ConfigException {
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    String secret = "demo-secret-" + UUID.randomUUID();
    SharedIndexInformer<AgentTask> watch = null;
    Backend backend = null;
    WorkerRuntime runtime = null;
    DemoScenario scenario = null;
    try {
      out.println("oz-worker-operator demo");
      out.println("  Kubernetes API: " + cluster.description() + ", namespace " + NAMESPACE);
      out.println("  Oz: a local demo endpoint at " + oz.webSocketUrl() + " (not Oz)");
      out.println("  agent: " + agent());
      made.forEach(line -> out.println("  " + line + " (kept for later runs)"));
      if (quietWorkerLog) {
        out.println("  worker log: warnings only (--log-level info shows every step)");
      }
      installCrdAndNamespace(cluster.client());
      if (!cluster.embedded()) {
        // Only now: before the CRD is established, kubectl could not tell what "at" is.
        out.println("  watch with: kubectl get at -n " + NAMESPACE + " -w");
      }
      if (kind == BackendKind.KUBERNETES) {
        out.println(
            "  task Pods: kubectl get pods -n "
                + NAMESPACE
                + " -l "
                + PodLabels.MANAGED_BY
                + "="
                + PodLabels.MANAGED_BY_VALUE);
      }
      backend = connect(backends);
      out.println();
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
      boolean asExpected = scenario.run(suffix, secret, timeout());
      out.println("Task logs (secrets masked): " + config.taskLogDir());
      return asExpected;
    } finally {
      DemoTasks tasks = new DemoTasks(cluster.client(), NAMESPACE, out);
      List<String> kept = List.of();
      if (!cluster.embedded() && scenario != null) {
        kept = tasks.removeUnlessKept(scenario.created(), keep);
      }
      if (watch != null) {
        watch.close();
      }
      if (runtime != null) {
        runtime.close();
        if (!cluster.embedded()) {
          tasks.release(WORKER_ID);
          tasks.show(kept);
        }
      }
      if (backend != null) {
        backend.close();
      }
    }
  }

  /** Closes the demo Oz endpoint. */
  @Override
  public void close() {
    oz.close();
    out.flush();
  }

  private Backend connect(Backends backends) throws CannotStart, ConfigException {
    try {
      return backends.create(config);
    } catch (IllegalStateException e) {
      throw new CannotStart(e.getMessage(), e);
    }
  }

  /** What runs the demo's tasks, for the header. */
  private String agent() {
    return switch (kind) {
      case COMMAND -> "nothing: the command backend is refused before the demo starts";
      case DIRECT ->
          "a stand-in Oz CLI (demo script) at "
              + dir.resolve("bin/oz")
              + ", run by the direct backend";
      case DOCKER ->
          "a stand-in Oz CLI (demo script) in sidecar image "
              + DemoImages.AGENT_IMAGE
              + ", run by the docker backend in containers of "
              + DemoImages.TASK_IMAGE
              + " (network none)";
      case KUBERNETES ->
          "a stand-in Oz CLI (demo script) under /agent in image "
              + DemoImages.POD_IMAGE
              + ", run by the kubernetes backend in Pods of namespace "
              + NAMESPACE
              + " (imagePullPolicy Never: the image must be on the node, whose kubelet must use"
              + " this machine's Docker engine or have the image loaded)";
    };
  }

  private Duration timeout() {
    return switch (kind) {
      case DIRECT, COMMAND -> TIMEOUT;
      case DOCKER -> DOCKER_TIMEOUT;
      case KUBERNETES -> POD_TIMEOUT;
    };
  }

  /** On a real cluster: the CRD if it is missing, and the demo's namespace. */
  private static void installCrdAndNamespace(KubernetesClient client) {
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
}
