package dev.ozworker.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.intake.AssignmentMapping;
import dev.ozworker.intake.TaskResources;
import dev.ozworker.kube.TestCluster;
import dev.ozworker.oz.Decoded;
import dev.ozworker.oz.OzCodec;
import dev.ozworker.oz.TaskAssignment;
import dev.ozworker.task.TaskResolver;
import dev.ozworker.task.TaskSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generated CRD on a real API server (kube-local, or any cluster KUBECONFIG names): the schema
 * rejects bad values naming the field, kubectl shows the printer columns and explains the fields.
 * Required in CI; skipped elsewhere when no KUBECONFIG is set.
 */
class AgentTaskCrdApiServerIT {
  static final String CRD_NAME = TestCluster.CRD_NAME;
  static final String NAMESPACE = TestCluster.NAMESPACE;
  static final String RUN_LABEL = TestCluster.RUN_LABEL;

  static final ObjectMapper JSON = new ObjectMapper();

  static KubernetesClient client;
  static String runId;
  static boolean createdCrd;

  @BeforeAll
  static void installCrd() throws IOException {
    client = TestCluster.connectOrSkip();
    createdCrd = TestCluster.installCrd(client);
    runId = UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterAll
  static void removeWhatThisTestCreated() {
    if (client == null) {
      return;
    }
    client.resources(AgentTask.class).inNamespace(NAMESPACE).withLabel(RUN_LABEL, runId).delete();
    client.secrets().inNamespace(NAMESPACE).withLabel(RUN_LABEL, runId).delete();
    if (createdCrd) {
      TestCluster.removeCrd(client);
    }
    client.close();
  }

  @Test
  void kubectlShowsTheExampleWithThePrinterColumns() throws Exception {
    create(example("hello"));

    List<String> table =
        TestCluster.kubectl("get", "agenttasks", "-n", NAMESPACE, "-l", RUN_LABEL + "=" + runId);

    assertThat(table.get(0).split("\\s+"))
        .containsExactly("NAME", "PHASE", "TITLE", "WORKER", "EXIT", "REASON", "AGE");
    assertThat(table.get(1)).startsWith(runId + "-hello").contains("Say hello");
    assertThat(TestCluster.kubectl("get", "at", "-n", NAMESPACE, runId + "-hello", "-o", "name"))
        .containsExactly("agenttask.ozworker.dev/" + runId + "-hello");
  }

  @Test
  void kubectlExplainDocumentsTheSpec() {
    // The API server publishes a new CRD's schema to its OpenAPI document a little after the CRD
    // is established.
    String explain =
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofSeconds(1))
            .ignoreExceptions()
            .until(
                () -> String.join("\n", TestCluster.kubectl("explain", "agenttask.spec")),
                text -> true);

    assertThat(explain)
        .contains("envFrom", "Secret holding the task's environment variables")
        .contains("timeout", "Longest the agent may run");
  }

  @Test
  void anUnknownBackendIsRejectedNamingTheField() throws IOException {
    AgentTask task = example("bad-backend");
    task.getSpec().setBackend("nomad");

    assertThatThrownBy(() -> create(task))
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422))
        .hasMessageContaining("spec.backend");
  }

  @Test
  void aTimeoutMustBeADuration() throws IOException {
    AgentTask bad = example("bad-timeout");
    bad.getSpec().setTimeout("soon");
    assertThatThrownBy(() -> create(bad))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.timeout");

    AgentTask good = example("good-timeout");
    good.getSpec().setTimeout("1h30m");
    assertThat(create(good).getSpec().getTimeout()).isEqualTo("1h30m");
  }

  @Test
  void statusIsASubresourceThatSpecWritesCannotChange() throws IOException {
    AgentTask task = create(example("status"));
    AgentTaskStatus status = new AgentTaskStatus();
    status.setPhase(AgentTaskPhase.Running);
    status.setWorkerId("pool-a-1");
    task.setStatus(status);
    client.resources(AgentTask.class).inNamespace(NAMESPACE).resource(task).updateStatus();

    AgentTask stored = get("status");
    stored.getSpec().setTitle("renamed");
    stored.getStatus().setPhase(AgentTaskPhase.Succeeded);
    client.resources(AgentTask.class).inNamespace(NAMESPACE).resource(stored).update();

    AgentTask after = get("status");
    assertThat(after.getSpec().getTitle()).isEqualTo("renamed");
    assertThat(after.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Running);
    assertThat(after.getStatus().getWorkerId()).isEqualTo("pool-a-1");
  }

  @Test
  void aHandedOffTaskShowsItsFinalPhaseDispatched() throws Exception {
    AgentTask task = example("handed-off");
    task.getSpec().setBackend("command");
    task = create(task);
    AgentTaskStatus status = new AgentTaskStatus();
    status.setPhase(AgentTaskPhase.Dispatched);
    status.setExitCode(0);
    task.setStatus(status);
    client.resources(AgentTask.class).inNamespace(NAMESPACE).resource(task).updateStatus();

    assertThat(get("handed-off").getStatus().getPhase()).isEqualTo(AgentTaskPhase.Dispatched);
    assertThat(
            TestCluster.kubectl(
                "get", "at", "-n", NAMESPACE, runId + "-handed-off", "--no-headers"))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("Dispatched");
  }

  @Test
  void aMappedAssignmentIsStoredAsIsAndResolvesTheSameAfterwards() throws Exception {
    String taskId = UUID.randomUUID().toString();
    String frame =
        """
        {"type":"task_assignment","data":{"task_id":"%1$s","execution_id":"exec-1",\
        "task":{"id":"%1$s","title":"Stored as is","task_definition":{"prompt":"p"},\
        "owner":{"Type":"TEAM","Id":42},"agent_config_snapshot":{"model_id":"gpt-5",\
        "mcp_servers":{"zeta":{"command":"npx","args":["-y","@acme/mcp"],"env":{}},\
        "alpha":{"url":"https://mcp.example.test/sse?a=1&b=2","headers":null}},\
        "computer_use_enabled":false,"idle_timeout_minutes":15,"harness":{"type":"claude"},\
        "inference_providers":{"aws":{"role_arn":"arn:aws:iam::1:role/oz","region":"eu-west-1"}},\
        "session_sharing":{"public_access":"EDITOR"},"snapshot_disabled":true,\
        "snapshot_upload_timeout_secs":60}},"sidecar_image":"warpdotdev/agent:2",\
        "env_vars":{"WARP_API_KEY":"wk-stored-secret"},"additional_oz_args":["--debug"],\
        "additional_sidecars":[{"image":"ghcr.io/acme/tools:1","mount_path":"/mnt/tools",\
        "read_write":true}],"instance_shape":{"vcpus":2,"memory_gb":4}}}\
        """
            .formatted(taskId);
    TaskAssignment assignment =
        (TaskAssignment) ((Decoded.Message) new OzCodec().decode(frame)).message();
    TaskResources resources =
        new AssignmentMapping("pool-a-1", BackendKind.DOCKER).toResources(assignment);
    resources.agentTask().getMetadata().getLabels().put(RUN_LABEL, runId);
    resources.envSecret().orElseThrow().getMetadata().getLabels().put(RUN_LABEL, runId);

    client.secrets().inNamespace(NAMESPACE).resource(resources.envSecret().orElseThrow()).create();
    AgentTask stored = create(resources.agentTask());
    Secret storedSecret =
        client
            .secrets()
            .inNamespace(NAMESPACE)
            .withName(stored.getSpec().getEnvFrom().secretName())
            .get();

    WorkerConfig config =
        WorkerConfigs.resolve("", Map.of("WARP_API_KEY", "worker-key"), "--worker-id=pool-a-1");
    TaskResolver resolver = new TaskResolver(config);
    TaskSpec before =
        resolver.resolve(
            resources.agentTask().getMetadata().getName(),
            resources.agentTask().getSpec(),
            Map.of("WARP_API_KEY", "wk-stored-secret"));
    TaskSpec after =
        resolver.resolve(
            stored.getMetadata().getName(), stored.getSpec(), decoded(storedSecret.getData()));

    // The API server re-encodes preserved JSON with sorted keys and drops nothing else: the --mcp
    // value is the same JSON, every other argument the same text.
    int mcp = before.ozArgs().indexOf("--mcp") + 1;
    assertThat(JSON.readTree(after.ozArgs().get(mcp)))
        .isEqualTo(JSON.readTree(before.ozArgs().get(mcp)));
    assertThat(withoutIndex(after.ozArgs(), mcp)).isEqualTo(withoutIndex(before.ozArgs(), mcp));
    assertThat(after.env()).isEqualTo(before.env());
    assertThat(after.sidecars()).isEqualTo(before.sidecars());
    assertThat(after.limits()).isEqualTo(before.limits());
    assertThat(after.executionId()).contains("exec-1");
    assertThat(JSON.writeValueAsString(stored)).doesNotContain("wk-stored-secret");
  }

  private static List<String> withoutIndex(List<String> list, int index) {
    List<String> copy = new ArrayList<>(list);
    copy.remove(index);
    return copy;
  }

  private static Map<String, String> decoded(Map<String, String> data) {
    Map<String, String> values = new HashMap<>();
    data.forEach(
        (key, value) ->
            values.put(key, new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8)));
    return values;
  }

  private static AgentTask example(String name) throws IOException {
    AgentTask task = ApiFixtures.hello();
    task.getMetadata().setName(runId + "-" + name);
    task.getMetadata().setLabels(Map.of(RUN_LABEL, runId));
    return task;
  }

  private static AgentTask create(AgentTask task) {
    return client.resources(AgentTask.class).inNamespace(NAMESPACE).resource(task).create();
  }

  private static AgentTask get(String name) {
    return client
        .resources(AgentTask.class)
        .inNamespace(NAMESPACE)
        .withName(runId + "-" + name)
        .get();
  }
}
