package dev.ozworker.security;

import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.EnvSource;
import dev.ozworker.backend.direct.DirectBackend;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.runtime.WorkerRuntime;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * One worker of {@link SecurityIT.AuthoringAnAgentTask} on the real API server, in a namespace of
 * its own, with the Direct backend and a fake Oz server. Its agent is a stand-in {@code oz} that
 * writes its arguments and environment to a file of its own, so a test can tell what reached which
 * agent. The worker's API key is unique to the run; the worker's own environment lacks it.
 */
final class AuthoringWorker implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final LinkTimings FAST =
      new LinkTimings(
          Duration.ofMillis(500),
          Duration.ofSeconds(5),
          Duration.ofSeconds(2),
          Duration.ofSeconds(2),
          Duration.ofMillis(50),
          Duration.ofMillis(200),
          Duration.ofMillis(100),
          Duration.ofSeconds(5),
          Duration.ofMillis(200));

  final String run = UUID.randomUUID().toString().substring(0, 8);
  final String apiKey = "wk-authoring-" + UUID.randomUUID();
  final String workerId = "authoring-" + run;
  final String namespace;
  final KubernetesClient client;
  final FakeOzServer oz;
  private final Path agents;
  private final boolean createdCrd;
  private DirectBackend backend;
  private WorkerRuntime runtime;

  private AuthoringWorker(KubernetesClient client, String test, Path root)
      throws IOException, InterruptedException {
    this.client = client;
    this.namespace = "security-authoring-" + test + "-" + run;
    this.createdCrd = TestCluster.installCrd(client);
    this.oz = FakeOzServer.start(apiKey);
    this.agents = Files.createDirectories(root.resolve("agents"));
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
  }

  /**
   * A worker in a new namespace named after {@code test}; {@code extra} is added to its config
   * file. Skips the test without a cluster.
   */
  static AuthoringWorker start(String test, String extra, Path root) throws Exception {
    AuthoringWorker worker = new AuthoringWorker(TestCluster.connectOrSkip(), test, root);
    try {
      worker.startWorker(extra, root);
      return worker;
    } catch (Exception | AssertionError e) {
      worker.close();
      throw e;
    }
  }

  private void startWorker(String extra, Path root) throws Exception {
    Path agent = root.resolve("bin/oz");
    Files.createDirectories(agent.getParent());
    Files.writeString(
        agent,
        """
        #!/bin/sh
        # Records what reached this agent, one file per run, and ends at once.
        f=$(mktemp "%s/agent-XXXXXX")
        { printf 'ARGS %%s\\n' "$*"; env; } >"$f"
        exit 0
        """
            .formatted(agents));
    Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwx------"));
    String yaml =
        """
        worker_id: %s
        namespace: %s
        task_log_dir: %s
        %s
        backend:
          direct:
            oz_path: %s
            workspace_root: %s
        """
            .formatted(workerId, namespace, root.resolve("logs"), extra, agent, root.resolve("ws"));
    WorkerConfig config =
        WorkerConfigs.resolve(
            yaml, Map.of("WARP_API_KEY", apiKey), "--web-socket-url", oz.webSocketUrl().toString());
    backend =
        DirectBackend.create(
            config,
            Map.of(
                "HOME", Files.createDirectories(root.resolve("home")).toString(),
                "TMPDIR", root.toString(),
                "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")));
    runtime = WorkerRuntime.start(client, config, List.of(backend), Clock.systemUTC(), true, FAST);
    await().atMost(WAIT).until(() -> oz.isConnected(workerId));
  }

  /** A Secret of the namespace holding {@code entries}, with {@code labels}. */
  void secret(String name, Map<String, String> labels, Map<String, String> entries) {
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(name)
            .withLabels(labels)
            .endMetadata()
            .withStringData(entries)
            .build();
    client.secrets().inNamespace(namespace).resource(secret).create();
  }

  /** An AgentTask as a user applies it: a prompt, and the Secret {@code envFrom} if not null. */
  AgentTask handWritten(String name, String envFrom) {
    AgentTask task = new AgentTask();
    task.getMetadata().setName(name);
    AgentTaskSpec spec = new AgentTaskSpec();
    spec.setTitle("written by hand");
    spec.setPrompt("prompt of " + name);
    if (envFrom != null) {
      spec.setEnvFrom(new EnvSource(envFrom));
    }
    task.setSpec(spec);
    return task;
  }

  AgentTask create(AgentTask task) {
    return client.resources(AgentTask.class).inNamespace(namespace).resource(task).create();
  }

  AgentTask task(String name) {
    return client.resources(AgentTask.class).inNamespace(namespace).withName(name).get();
  }

  /** The task once it reached a final phase. */
  AgentTask awaitFinished(String name) {
    return await()
        .atMost(WAIT)
        .until(
            () -> task(name),
            task ->
                task != null
                    && task.getStatus() != null
                    && task.getStatus().getPhase() != null
                    && task.getStatus().getPhase().isTerminal());
  }

  AgentTaskPhase phase(String name) {
    return awaitFinished(name).getStatus().getPhase();
  }

  /** What each agent run so far got: its arguments and environment, one text per run. */
  List<String> agentRuns() {
    try (Stream<Path> files = Files.list(agents)) {
      return files
          .map(
              file -> {
                try {
                  return Files.readString(file);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      client.resources(AgentTask.class).inNamespace(namespace).delete();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  client
                      .resources(AgentTask.class)
                      .inNamespace(namespace)
                      .list()
                      .getItems()
                      .isEmpty());
    } finally {
      if (runtime != null) {
        runtime.close();
      }
      if (backend != null) {
        backend.close();
      }
      oz.close();
      client.namespaces().withName(namespace).delete();
      if (createdCrd) {
        TestCluster.removeCrd(client);
      }
      client.close();
    }
  }
}
