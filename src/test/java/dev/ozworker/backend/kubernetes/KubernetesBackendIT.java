package dev.ozworker.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.Command;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.docker.TestDocker;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.OzAssignments;
import dev.ozworker.runtime.WorkerRuntime;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes backend on a real cluster (kube-local in CI: API server, scheduler, kubelet on the
 * local Docker engine, controller-manager for garbage collection): Oz assigns tasks to one worker,
 * and each runs as a Pod made from a local busybox image whose {@code /agent/entrypoint.sh} runs
 * the task's {@code AGENT_DOES}. Each test reads back what the worker wrote and what the kubelet
 * reported, from the API.
 */
class KubernetesBackendIT {
  static final String NAMESPACE = "oz-kubernetes-it";
  static final String API_KEY = "wk-kubernetes-it-41c";
  static final String WORKER = "kubernetes-it-worker";
  static final Duration WAIT = Duration.ofSeconds(90);

  /**
   * A value only the task's Secret holds: it must reach the agent and nothing the worker writes.
   */
  static final String SECRET = "s3cr3t-only-in-the-secret-9f1d";

  static KubernetesClient client;
  static TestDocker docker;
  static String image;
  static FakeOzServer oz;
  static WorkerRuntime runtime;
  static KubernetesBackend backend;
  @TempDir static Path root;

  final List<String> tasks = new ArrayList<>();

  @BeforeAll
  static void startWorker() throws Exception {
    client = TestCluster.connectOrSkip();
    TestCluster.installCrd(client);
    if (client.namespaces().withName(NAMESPACE).get() == null) {
      client
          .namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
          .create();
    }
    docker = TestDocker.connect();
    image =
        docker.busyboxWithEntrypoint(
            """
            #!/bin/sh
            echo "agent: started with $# arguments: $*"
            eval "$AGENT_DOES"
            """);
    oz = FakeOzServer.start(API_KEY);
    Worker worker = Worker.start(WORKER, Map.of("POD_NAME", WORKER));
    runtime = worker.runtime();
    backend = worker.backend();
  }

  @AfterAll
  static void stopWorker() throws Exception {
    if (runtime != null) {
      runtime.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (oz != null) {
      oz.close();
    }
    if (docker != null) {
      docker.removeImage(image);
      docker.close();
    }
    if (client != null) {
      client.close();
    }
  }

  @AfterEach
  void removeTasks() {
    for (String id : tasks) {
      AgentTask task = task(id);
      if (task == null) {
        continue;
      }
      client.resource(task).delete();
      String owner = task.getStatus() == null ? null : task.getStatus().getWorkerId();
      if (owner != null && !owner.equals(WORKER)) {
        // its worker was closed with its test: nothing else would let the finalizer go
        TestCluster.releaseFinalizers(client, NAMESPACE, task.getMetadata().getName());
      }
    }
  }

  @Test
  void aTaskRunsAsAPodWithItsSecretByReferenceNoTokenAndTeardownAfterIt() {
    String id =
        assign(
            "echo \"agent: hello from the pod\"; [ \"$API_TOKEN\" = \""
                + SECRET
                + "\" ] &&"
                + " echo \"agent: the token arrived\"",
            Map.of("API_TOKEN", SECRET));

    Pod pod = await().atMost(WAIT).until(() -> pod(id), Objects::nonNull);
    AgentTask done = awaitReported(id);

    assertThat(done.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(done.getStatus().getExitCode()).isZero();
    assertThat(done.getStatus().getBackendRef().pod()).isEqualTo(pod.getMetadata().getName());
    assertThat(done.getStatus().getLogTail())
        .contains(
            "setup: ran in /workspace",
            "agent: hello from the pod",
            "agent: the token arrived",
            "teardown: ran")
        .doesNotContain(SECRET);
    assertThat(oz.framesAbout(id, "task_completed")).singleElement();
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            owner -> {
              assertThat(owner.getKind()).isEqualTo("AgentTask");
              assertThat(owner.getUid()).isEqualTo(done.getMetadata().getUid());
              assertThat(owner.getController()).isTrue();
            });
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSpec().getVolumes())
        .noneSatisfy(volume -> assertThat(volume.getProjected()).isNotNull());
    assertThat(Serialization.asYaml(pod)).doesNotContain(SECRET);
    assertThat(
            pod.getSpec().getContainers().stream()
                .flatMap(container -> container.getEnv().stream())
                .filter(env -> env.getName().equals("API_TOKEN"))
                .map(EnvVar::getValueFrom))
        .singleElement()
        .satisfies(from -> assertThat(from.getSecretKeyRef().getKey()).isEqualTo("API_TOKEN"));
    await("a succeeded task's Pod is removed at cleanup").atMost(WAIT).until(() -> pod(id) == null);
  }

  @Test
  void sidecarsAreCopiedIntoThePodByInitContainersAndAreWritableOnlyWhenAsked() throws Exception {
    // The end-to-end tests' stand-in agent image: GNU tar and dash, which the copying init
    // container's script needs (busybox's tar has no --exclude), and /entrypoint.sh at its root
    String sidecar =
        Command.run(
                Duration.ofMinutes(2),
                "bash",
                "src/test/resources/dev/ozworker/e2e/agent-image.sh",
                "ozworker-e2e/agent")
            .ok()
            .out()
            .strip();
    ObjectNode assignment =
        OzAssignments.assignment(
            newId(),
            Map.of(
                "E2E_DOES",
                """
                ls /mnt/tools/entrypoint.sh && echo "agent: tools copied"
                echo new > /mnt/tools/written && echo "agent: tools writable"
                echo new > /mnt/readonly/written || echo "agent: readonly refused"
                """));
    assignment.put("sidecar_image", sidecar);
    ArrayNode more = assignment.putArray("additional_sidecars");
    more.addObject().put("image", sidecar).put("mount_path", "/mnt/tools").put("read_write", true);
    more.addObject().put("image", sidecar).put("mount_path", "/mnt/readonly");

    AgentTask done = awaitReported(assign(assignment));

    assertThat(done.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(done.getStatus().getLogTail())
        .as("the entrypoint is the sidecar's, copied over the task image's own /agent")
        .contains(
            "agent workspace runs 0s, then exits 0",
            "agent: tools copied",
            "agent: tools writable",
            "agent: readonly refused")
        .doesNotContain("agent: started with");
  }

  @Test
  void aNonZeroExitFailsTheTaskWithItsCodeAndKeepsThePod() {
    String id = assign("echo \"agent: giving up\"; exit 3", Map.of());

    AgentTask done = awaitReported(id);

    assertThat(done.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(done.getStatus().getExitCode()).isEqualTo(3);
    assertThat(done.getStatus().getFailureReason()).isEqualTo(FailureReason.CONTAINER_EXIT);
    assertThat(done.getStatus().getLogTail()).contains("agent: giving up", "teardown: ran");
    assertThat(oz.framesAbout(id, "task_failed"))
        .singleElement()
        .satisfies(frame -> assertThat(frame.data().path("exit_code").asInt()).isEqualTo(3));
    assertThat(pod(id)).as("a failed task's Pod is kept for kubectl describe").isNotNull();
  }

  @Test
  void aFailingSetupFailsTheTaskAsAnInitContainerAndTheAgentNeverRuns() {
    String id = assign("echo \"agent: must not run\"", Map.of("SETUP_FAILS", "yes"));

    AgentTask done = awaitReported(id);

    assertThat(done.getStatus().getFailureReason()).isEqualTo(FailureReason.INIT_CONTAINER);
    assertThat(done.getStatus().getExitCode()).isEqualTo(5);
    assertThat(done.getStatus().getMessage()).contains("setup");
    assertThat(String.valueOf(done.getStatus().getLogTail())).doesNotContain("agent: must not run");
  }

  @Test
  void aMissingImageThatMayNotBePulledFailsAsAnImagePull() {
    ObjectNode assignment = OzAssignments.assignment(newId(), Map.of("AGENT_DOES", "true"));
    assignment.put("docker_image", "ozworker-test/absent:" + UUID.randomUUID());

    AgentTask done = awaitReported(assign(assignment));

    assertThat(done.getStatus().getFailureReason()).isEqualTo(FailureReason.IMAGE_PULL);
    assertThat(done.getStatus().getMessage()).contains("ozworker-test/absent");
  }

  @Test
  void aPodNoNodeCanTakeFailsAsUnschedulableAfterTheTimeout() {
    ObjectNode assignment = OzAssignments.assignment(newId(), Map.of("AGENT_DOES", "true"));
    assignment.putObject("instance_shape").put("vcpus", 512);

    AgentTask done = awaitReported(assign(assignment));

    assertThat(done.getStatus().getFailureReason()).isEqualTo(FailureReason.UNSCHEDULABLE);
  }

  @Test
  void anAgentOverItsMemoryFailsAsOutOfMemory() {
    ObjectNode assignment =
        OzAssignments.assignment(
            newId(),
            Map.of("AGENT_DOES", "echo \"agent: allocating\"; /bin/busybox tail /dev/zero"));
    assignment.putObject("instance_shape").put("memory_gb", 1);

    AgentTask done = awaitReported(assign(assignment));

    assertThat(done.getStatus().getFailureReason()).isEqualTo(FailureReason.CONTAINER_OOM);
    assertThat(done.getStatus().getExitCode()).isEqualTo(137);
  }

  @Test
  void anAgentPastTheActiveDeadlineFailsAsSuch() {
    String id = assign("echo \"agent: long work\"; sleep 120", Map.of());

    AgentTask done = awaitReported(id);

    assertThat(done.getStatus().getFailureReason()).isEqualTo(FailureReason.ACTIVE_DEADLINE);
  }

  @Test
  void aCancelDeletesThePodRunsTeardownAndReportsCancelledOnceThePodIsGone() {
    String id = assign("echo \"agent: working\"; sleep 120", Map.of());
    await().atMost(WAIT).until(() -> phase(id) == AgentTaskPhase.Running);
    await().atMost(WAIT).until(() -> taskLog(id).contains("agent: working"));

    oz.cancel(WORKER, id);

    AgentTask done = awaitReported(id);
    assertThat(done.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Cancelled);
    assertThat(pod(id)).isNull();
    assertThat(done.getStatus().getLogTail()).contains("teardown: ran");
  }

  @Test
  void deletingTheAgentTaskMidRunDeletesItsPod() {
    String id = assign("echo \"agent: working\"; sleep 120", Map.of());
    await().atMost(WAIT).until(() -> phase(id) == AgentTaskPhase.Running);
    Pod pod = pod(id);

    client.resource(task(id)).delete();

    await().atMost(WAIT).until(() -> task(id) == null);
    await("the Pod " + pod.getMetadata().getName() + " goes with its AgentTask")
        .atMost(WAIT)
        .until(() -> pod(id) == null);
  }

  @Test
  void aWorkerStoppedMidTaskAndStartedAgainFollowsTheSamePodAndReportsOnce() throws Exception {
    String workerId = "kubernetes-it-restarted";
    Worker first = Worker.start(workerId, Map.of());
    String id =
        assign(
            workerId,
            OzAssignments.assignment(
                newId(),
                Map.of(
                    "AGENT_DOES",
                    "echo \"agent: run $RANDOM$RANDOM started\"; sleep 8; echo \"agent: second"
                        + " half\"; exit 7")));
    await().atMost(WAIT).until(() -> taskLog(id).contains("started"));
    // Stopped once Running is written, the worker leaves a task that records a running Pod.
    await().atMost(WAIT).until(() -> phase(id) == AgentTaskPhase.Running);
    Pod before = pod(id);

    first.close();
    Worker second = Worker.start(workerId, Map.of());
    try {
      AgentTask done = awaitReported(id);

      assertThat(done.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
      assertThat(done.getStatus().getExitCode()).isEqualTo(7);
      assertThat(done.getStatus().getLogTail()).contains("agent: second half", "teardown: ran");
      assertThat(oz.framesAbout(id, "task_failed")).singleElement();
      assertThat(oz.framesAbout(id, "task_completed")).isEmpty();
      Pod after = pod(id);
      assertThat(after.getMetadata().getUid())
          .as("the Pod the first worker made is the one that ran: none was made again")
          .isEqualTo(before.getMetadata().getUid());
      assertThat(after.getStatus().getContainerStatuses())
          .allSatisfy(container -> assertThat(container.getRestartCount()).isZero());
      assertThat(
              taskLog(id)
                  .lines()
                  .filter(line -> line.matches("agent: run \\d+ started"))
                  .distinct())
          .as("the log followed again from the start shows one run, not two")
          .hasSize(1);
    } finally {
      second.close();
    }
  }

  @Test
  void theClustersGarbageCollectorRemovesAPodWhoseAgentTaskIsGoneWithNoWorkerLeft()
      throws Exception {
    String workerId = "kubernetes-it-gone";
    Worker worker = Worker.start(workerId, Map.of());
    String id =
        assign(
            workerId,
            OzAssignments.assignment(
                newId(), Map.of("AGENT_DOES", "echo \"agent: long\"; sleep 120")));
    await().atMost(WAIT).until(() -> taskLog(id).contains("agent: long"));
    worker.close();

    AgentTask task = task(id);
    task.getMetadata().setFinalizers(List.of());
    client.resource(task).update();
    client.resource(task(id)).delete();

    await("the Pod goes with its owner, by the cluster's garbage collector alone")
        .atMost(WAIT)
        .until(() -> pod(id) == null);
  }

  @Test
  void aPodThatCannotMountAVolumeFailsAsVolumeMountOnceTheGraceIsOver() throws Exception {
    String workerId = "kubernetes-it-mount";
    try (Worker ignored =
        Worker.start(
            workerId,
            """
                pod_template:
                  volumes:
                    - name: absent-config
                      configMap: {name: oz-kubernetes-it-absent}
                  containers:
                    - name: task
                      volumeMounts:
                        - {name: absent-config, mountPath: /absent}
            """,
            new Graces(Duration.ofSeconds(3), Graces.DEFAULT.create()))) {
      String id = assign(workerId, OzAssignments.assignment(newId(), Map.of("AGENT_DOES", "true")));

      AgentTask done = awaitReported(id);

      assertThat(done.getStatus().getFailureReason()).isEqualTo(FailureReason.VOLUME_MOUNT);
      assertThat(done.getStatus().getMessage()).contains("oz-kubernetes-it-absent");
    }
  }

  @Test
  void aContainerTheKubeletCannotCreateFailsAsContainerCreateOnceTheGraceIsOver() throws Exception {
    String workerId = "kubernetes-it-create";
    try (Worker ignored =
        Worker.start(
            workerId,
            """
                pod_template:
                  containers:
                    - name: task
                      env:
                        - name: FROM_A_MISSING_SECRET
                          valueFrom:
                            secretKeyRef: {name: oz-kubernetes-it-missing, key: value}
            """,
            new Graces(Graces.DEFAULT.mount(), Duration.ofSeconds(3)))) {
      String id = assign(workerId, OzAssignments.assignment(newId(), Map.of("AGENT_DOES", "true")));

      AgentTask done = awaitReported(id);

      assertThat(done.getStatus().getFailureReason()).isEqualTo(FailureReason.CONTAINER_CREATE);
      assertThat(done.getStatus().getMessage())
          .contains("CreateContainerConfigError", "oz-kubernetes-it-missing");
    }
  }

  @Test
  void anImageNameTheKubeletCannotParseFailsAsInvalidImage() {
    ObjectNode assignment = OzAssignments.assignment(newId(), Map.of("AGENT_DOES", "true"));
    assignment.put("docker_image", "ozworker-test/Not-A-Valid-Name:1");

    AgentTask done = awaitReported(assign(assignment));

    assertThat(done.getStatus().getFailureReason()).isEqualTo(FailureReason.INVALID_IMAGE);
    assertThat(done.getStatus().getMessage()).contains("Not-A-Valid-Name");
  }

  @Test
  void aWorkerThatMayNotCreatePodsIsToldAtStartWhatToGrant() throws Exception {
    Config nobody = new ConfigBuilder(client.getConfiguration()).build();
    nobody.setImpersonateUsername("system:serviceaccount:" + NAMESPACE + ":no-rights");
    try (KubernetesClient impersonated =
        new KubernetesClientBuilder()
            .withHttpClientFactory(new JdkHttpClientFactory())
            .withConfig(nobody)
            .build()) {
      WorkerConfig config = Worker.config("kubernetes-it-no-rights", Map.of(), "");

      assertThatThrownBy(
              () -> KubernetesBackend.create(config, impersonated, NAMESPACE, Clock.systemUTC()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("HTTP 403")
          .hasMessageContaining("grant it pods create");
    }
  }

  @Test
  void aPodTemplateTheApiServerRefusesIsNamedAtStart() throws Exception {
    WorkerConfig config =
        Worker.config(
            "kubernetes-it-bad-template",
            Map.of(),
            """
                pod_template:
                  nodeSelector:
                    "not a label key!": "x"
            """);

    assertThatThrownBy(() -> KubernetesBackend.create(config, client, NAMESPACE, Clock.systemUTC()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("HTTP 422")
        .hasMessageContaining("nodeSelector")
        .hasMessageContaining("backend.kubernetes.pod_template");
  }

  @Test
  void aPoolOfTwoReplicasRunsEachOfTwentyTasksInOnePodOnceAndReportsEachOnce() throws Exception {
    Map<String, Integer> podsMade = new java.util.concurrent.ConcurrentHashMap<>();
    var watch =
        client
            .pods()
            .inNamespace(NAMESPACE)
            .withLabel(PodLabels.MANAGED_BY, PodLabels.MANAGED_BY_VALUE)
            .inform(
                new io.fabric8.kubernetes.client.informers.ResourceEventHandler<Pod>() {
                  @Override
                  public void onAdd(Pod pod) {
                    podsMade.merge(pod.getMetadata().getName(), 1, Integer::sum);
                  }

                  @Override
                  public void onUpdate(Pod before, Pod pod) {}

                  @Override
                  public void onDelete(Pod pod, boolean finalStateUnknown) {}
                });
    List<String> replicas = List.of("kubernetes-it-pool-a", "kubernetes-it-pool-b");
    List<Worker> pool = new ArrayList<>();
    try {
      for (String replica : replicas) {
        pool.add(Worker.start(replica, Map.of()));
      }
      List<String> fromOz = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        fromOz.add(
            assign(
                replicas.get(i % 2),
                OzAssignments.assignment(
                    newId(), Map.of("AGENT_DOES", "echo \"agent: task " + i + "\""))));
      }
      List<String> handWritten = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        AgentTask task = new AgentTask();
        task.getMetadata().setName("pool-hand-written-" + i + "-" + newId().substring(0, 8));
        AgentTaskSpec spec = new AgentTaskSpec();
        spec.setPrompt("hand-written " + i);
        spec.setBackend("kubernetes");
        task.setSpec(spec);
        client.resource(task).inNamespace(NAMESPACE).create();
        handWritten.add(task.getMetadata().getName());
      }

      List<AgentTask> reported = new ArrayList<>();
      for (String id : fromOz) {
        AgentTask done = awaitReported(id);
        assertThat(done.getStatus().getPhase()).as(id).isEqualTo(AgentTaskPhase.Succeeded);
        assertThat(oz.framesAbout(id, "task_completed")).as(id).singleElement();
        reported.add(done);
      }
      for (String name : handWritten) {
        AgentTask done =
            await()
                .atMost(WAIT)
                .until(
                    () ->
                        client
                            .resources(AgentTask.class)
                            .inNamespace(NAMESPACE)
                            .withName(name)
                            .get(),
                    task ->
                        task.getStatus() != null
                            && task.getStatus().getPhase() == AgentTaskPhase.Succeeded);
        // the class's own worker watches the namespace too, and may claim a hand-written task
        assertThat(done.getStatus().getWorkerId()).isIn(replicas.get(0), replicas.get(1), WORKER);
        assertThat(done.getStatus().getLogTail()).contains("--prompt hand-written");
        client.resource(done).delete();
      }
      assertThat(fromOz.stream().map(id -> podsMade.getOrDefault(TaskPods.podName(id), 0)).toList())
          .as("one Pod made per task")
          .containsOnly(1);
      // deleted while the pool runs, so that their workers let their finalizers go
      reported.forEach(task -> client.resource(task).delete());
      await()
          .atMost(WAIT)
          .until(
              () ->
                  reported.stream()
                      .allMatch(
                          task ->
                              client
                                      .resources(AgentTask.class)
                                      .inNamespace(NAMESPACE)
                                      .withName(task.getMetadata().getName())
                                      .get()
                                  == null));
    } finally {
      watch.stop();
      pool.forEach(Worker::close);
    }
  }

  /** One worker process: its runtime and backend, closed as a killed process leaves them. */
  record Worker(WorkerRuntime runtime, KubernetesBackend backend) implements AutoCloseable {
    static Worker start(String workerId, Map<String, String> env) throws Exception {
      WorkerConfig config = config(workerId, env, "");
      return start(config, KubernetesBackend.create(config, client, NAMESPACE, Clock.systemUTC()));
    }

    /**
     * A worker of its own, with {@code more} added to its {@code backend.kubernetes} and its own
     * graces for failures the kubelet retries.
     */
    static Worker start(String workerId, String more, Graces graces) throws Exception {
      WorkerConfig config = config(workerId, Map.of(), more);
      return start(
          config, KubernetesBackend.create(config, client, NAMESPACE, graces, Clock.systemUTC()));
    }

    static Worker start(WorkerConfig config, KubernetesBackend backend) throws Exception {
      String workerId = config.workerId();
      WorkerRuntime runtime =
          WorkerRuntime.start(
              client, config, List.of(backend), Clock.systemUTC(), true, LinkTimings.DEFAULT);
      await().atMost(WAIT).until(() -> oz.isConnected(workerId));
      return new Worker(runtime, backend);
    }

    /** The worker's configuration, with {@code more} added to its {@code backend.kubernetes}. */
    static WorkerConfig config(String workerId, Map<String, String> env, String more)
        throws Exception {
      String yaml =
          """
          namespace: %s
          task_log_dir: %s
          cancel_grace_period: 5s
          backend:
            kubernetes:
              default_image: %s
              image_pull_policy: Never
              setup_command: 'echo "setup: ran in $PWD"; [ "$SETUP_FAILS" != yes ] || exit 5'
              teardown_command: 'echo "teardown: ran"'
              active_deadline_seconds: 25
              unschedulable_timeout: 4s
          """
                  .formatted(NAMESPACE, root.resolve("logs"), image)
              + more;
      Map<String, String> all = new java.util.HashMap<>(env);
      all.put("WARP_API_KEY", API_KEY);
      return WorkerConfigs.resolve(
          yaml, all, "--worker-id", workerId, "--web-socket-url", oz.webSocketUrl().toString());
    }

    /** Stops the worker without a drain: the Pods it follows keep running. */
    @Override
    public void close() {
      runtime.close();
      backend.close();
    }
  }

  private String assign(String agentDoes, Map<String, String> env) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("AGENT_DOES", agentDoes);
    return assign(OzAssignments.assignment(newId(), all));
  }

  private String assign(ObjectNode assignment) {
    return assign(WORKER, assignment);
  }

  private String assign(String workerId, ObjectNode assignment) {
    String id = assignment.path("task_id").asText();
    tasks.add(id);
    oz.assign(workerId, assignment);
    return id;
  }

  private static String newId() {
    return UUID.randomUUID().toString();
  }

  private AgentTask awaitReported(String id) {
    return await()
        .atMost(WAIT)
        .until(
            () -> task(id),
            task ->
                task != null
                    && task.getStatus() != null
                    && Boolean.TRUE.equals(task.getStatus().getReported()));
  }

  /** The task's log as the worker writes it while the agent runs. */
  private static String taskLog(String id) throws java.io.IOException {
    Path log = TaskLog.file(root.resolve("logs"), id);
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private AgentTaskPhase phase(String id) {
    AgentTask task = task(id);
    return task == null || task.getStatus() == null ? null : task.getStatus().getPhase();
  }

  private static AgentTask task(String id) {
    return client.resources(AgentTask.class).inNamespace(NAMESPACE).list().getItems().stream()
        .filter(task -> id.equals(task.getSpec().getTaskId()))
        .findFirst()
        .orElse(null);
  }

  private static Pod pod(String id) {
    return client.pods().inNamespace(NAMESPACE).withName(TaskPods.podName(id)).get();
  }
}
