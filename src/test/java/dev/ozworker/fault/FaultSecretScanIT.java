package dev.ozworker.fault;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.api.AgentTask;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.direct.DirectBackend;
import dev.ozworker.backend.docker.DockerBackend;
import dev.ozworker.backend.docker.TestDocker;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import dev.ozworker.runtime.WorkerRuntime;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Secrets: tasks on both backends (real processes, real containers without a network) whose
 * env_vars carry a unique secret that the agent prints to stdout and stderr, whole and split across
 * two writes. While they run and after they end, every place the worker writes is scanned for it:
 * AgentTasks (spec and status), Events and ConfigMaps of the namespace on a real API server, the
 * worker's logs at debug level, the per-task log files, the frames sent to Oz, the inspect output
 * of every container (the task container's own env aside: that is where the secret belongs), and
 * the argv of every process on the machine. The secret must be found nowhere.
 */
class FaultSecretScanIT {
  static final String API_KEY = "wk-fault-secrets-3d9";
  static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path root;

  @Test
  void aTaskSecretAppearsNowhereButInTheTaskEnvironment() throws Exception {
    long startedNanos = System.nanoTime();
    KubernetesClient client = TestCluster.connectOrSkip();
    boolean createdCrd = TestCluster.installCrd(client);
    String run = UUID.randomUUID().toString().substring(0, 8);
    String namespace = "fault-secrets-" + run;
    String secret = "fault-SECRET-" + UUID.randomUUID().toString().replace("-", "");
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    Path shared = Files.createDirectories(root.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path agent = root.resolve("bin/oz");
    Files.createDirectories(agent.getParent());
    String agentScript;
    try (var script = getClass().getResourceAsStream("/dev/ozworker/fault/secret-agent.sh")) {
      agentScript = new String(script.readAllBytes(), StandardCharsets.UTF_8);
    }
    Files.writeString(agent, agentScript);
    Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwx------"));
    ch.qos.logback.classic.Logger ours =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.ozworker");
    Level level = ours.getLevel();
    List<AutoCloseable> started = new ArrayList<>();
    try (TestDocker docker = TestDocker.connect();
        FakeOzServer oz = FakeOzServer.start(API_KEY);
        LogCapture logs = LogCapture.start()) {
      ours.setLevel(Level.TRACE);
      String image = docker.busyboxWithEntrypoint(agentScript);
      try {
        String directWorker = "fault-sec-direct-" + run;
        String dockerWorker = "fault-sec-docker-" + run;
        WorkerConfig directConfig =
            config(
                oz,
                namespace,
                directWorker,
                "direct:\n    oz_path: "
                    + agent
                    + "\n    workspace_root: "
                    + root.resolve("workspaces"));
        WorkerConfig dockerConfig =
            config(
                oz,
                namespace,
                dockerWorker,
                "docker:\n    network_mode: none"
                    + "\n    image_pull_policy: Never\n    volumes: [\""
                    + shared
                    + ":/fault\"]");
        start(started, client, directConfig, DirectBackend.create(directConfig, hostEnv()));
        start(
            started, client, dockerConfig, DockerBackend.connect(dockerConfig, Clock.systemUTC()));
        await()
            .atMost(WAIT)
            .until(() -> oz.isConnected(directWorker) && oz.isConnected(dockerWorker));

        Map<String, String> tasks = new TreeMap<>();
        tasks.put("sec-direct-ok-" + run, directWorker);
        tasks.put("sec-direct-fails-" + run, directWorker);
        tasks.put("sec-docker-ok-" + run, dockerWorker);
        tasks.put("sec-docker-fails-" + run, dockerWorker);
        tasks.forEach(
            (id, worker) -> {
              boolean onDocker = worker.equals(dockerWorker);
              ObjectNode data =
                  assignment(
                      id,
                      Map.of(
                          "FAULT_SECRET", secret,
                          "GITHUB_ACCESS_TOKEN", secret,
                          "FAULT_DIR", onDocker ? "/fault" : shared.toString(),
                          "FAULT_NAME", id,
                          "FAULT_EXIT", id.contains("fails") ? "3" : "0"));
              if (onDocker) {
                data.put("docker_image", image);
              }
              oz.assign(worker, data);
            });
        await()
            .atMost(WAIT)
            .until(
                () ->
                    tasks.keySet().stream()
                        .allMatch(id -> Files.exists(shared.resolve("ready-" + id))));

        // While the agents run: their argv, every process's argv, every container's inspect.
        List<String> found = new ArrayList<>();
        found.addAll(FaultSecretScanner.scanProcesses(secret));
        found.addAll(FaultSecretScanner.scanContainers(docker.client(), image, secret));
        int liveScans = found.size();
        long taskContainersWithSecret =
            docker.client().listContainersCmd().exec().stream()
                .filter(c -> image.equals(c.getImage()))
                .filter(
                    c ->
                        docker
                            .client()
                            .inspectContainerCmd(c.getId())
                            .exec()
                            .toString()
                            .contains(secret))
                .count();

        Files.writeString(shared.resolve("go"), "");
        await()
            .atMost(WAIT)
            .until(
                () ->
                    tasks.keySet().stream()
                        .allMatch(id -> !FaultResults.results(oz, id).isEmpty()));
        await()
            .atMost(WAIT)
            .until(
                () ->
                    client
                        .resources(AgentTask.class)
                        .inNamespace(namespace)
                        .list()
                        .getItems()
                        .stream()
                        .allMatch(
                            t ->
                                t.getStatus() != null
                                    && Boolean.TRUE.equals(t.getStatus().getReported())));

        // Afterwards: everything stored, logged or sent.
        List<AgentTask> agentTasks =
            client.resources(AgentTask.class).inNamespace(namespace).list().getItems();
        found.addAll(FaultSecretScanner.scanNamespace(client, namespace, secret));
        found.addAll(FaultSecretScanner.scan("worker log", logs.text(), secret));
        found.addAll(FaultSecretScanner.scanFiles(root.resolve("logs"), secret));
        found.addAll(
            FaultSecretScanner.scan(
                "frame to Oz",
                String.join("\n", oz.received().stream().map(Frame::text).toList()),
                secret));
        found.addAll(FaultSecretScanner.scanProcesses(secret));
        found.addAll(FaultSecretScanner.scanContainers(docker.client(), image, secret));

        // Controls: the secret did reach each agent and the stored Secret, and the output was kept.
        List<String> controls = new ArrayList<>();
        for (String id : tasks.keySet()) {
          if (!secret.equals(Files.readString(shared.resolve("seen-" + id)))) {
            controls.add(id + ": the agent did not get the secret");
          }
        }
        for (AgentTask task : agentTasks) {
          String tail = task.getStatus().getLogTail();
          if (tail == null || !tail.contains("split-err: ")) {
            controls.add(
                task.getMetadata().getName() + ": the log tail lacks the agent's output: " + tail);
          }
        }
        long secretsHolding =
            client.secrets().inNamespace(namespace).list().getItems().stream()
                .filter(s -> s.getData() != null && s.getData().containsKey("FAULT_SECRET"))
                .count();
        if (taskContainersWithSecret != 2) {
          controls.add(
              "running task containers with the secret in their env: "
                  + taskContainersWithSecret
                  + " of 2");
        }
        if (FaultSecretScanner.scan(
                "Secret",
                Serialization.asYaml(client.secrets().inNamespace(namespace).list()),
                secret)
            .isEmpty()) {
          controls.add("the scan does not find the secret in the Secrets that hold it");
        }
        if (secretsHolding != tasks.size()) {
          controls.add("Secrets holding env_vars: " + secretsHolding + " of " + tasks.size());
        }
        int failures = controls.size();
        int lost =
            (int)
                tasks.keySet().stream()
                    .filter(id -> FaultResults.results(oz, id).isEmpty())
                    .count();
        int duplicates =
            tasks.keySet().stream()
                .mapToInt(id -> Math.max(0, FaultResults.results(oz, id).size() - 1))
                .sum();
        FaultReport report =
            new FaultReport(
                    "secret-scan",
                    tasks.size(),
                    failures,
                    lost,
                    duplicates,
                    found.size(),
                    String.format(
                        "backends=direct,docker places=AgentTask,Event,ConfigMap,worker-log(trace),"
                            + "task-log,frames,container-inspect,proc-cmdline foundWhileRunning=%d"
                            + " seconds=%.1f",
                        liveScans, (System.nanoTime() - startedNanos) / 1e9))
                .print();
        assertThat(found).as("places holding the secret").isEmpty();
        assertThat(controls).isEmpty();
        assertThat(report.clean()).as(report.line()).isTrue();
      } finally {
        // The workers release their tasks' finalizers, so the tasks go before the workers do.
        FaultSecretScanner.deleteTasks(client, namespace);
        for (AutoCloseable closeable : started.reversed()) {
          closeable.close();
        }
        docker.removeImage(image);
      }
    } finally {
      ours.setLevel(level);
      FaultSecretScanner.removeNamespace(client, namespace);
      if (createdCrd) {
        TestCluster.removeCrd(client);
      }
      client.close();
    }
  }

  void start(
      List<AutoCloseable> started, KubernetesClient client, WorkerConfig config, Backend backend) {
    started.add(backend);
    started.add(
        WorkerRuntime.start(
            client, config, List.of(backend), Clock.systemUTC(), true, FaultLoadIT.FAST));
  }

  WorkerConfig config(FakeOzServer oz, String namespace, String workerId, String backend)
      throws Exception {
    String yaml =
        """
        worker_id: %s
        namespace: %s
        task_log_dir: %s
        cancel_grace_period: 2s
        backend:
          %s
        """
            .formatted(workerId, namespace, root.resolve("logs").resolve(workerId), backend);
    return WorkerConfigs.resolve(
        yaml, Map.of("WARP_API_KEY", API_KEY), "--web-socket-url", oz.webSocketUrl().toString());
  }

  Map<String, String> hostEnv() throws IOException {
    return Map.of(
        "HOME", Files.createDirectories(root.resolve("home")).toString(),
        "TMPDIR", root.toString(),
        "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"),
        "WARP_API_KEY", API_KEY);
  }
}
