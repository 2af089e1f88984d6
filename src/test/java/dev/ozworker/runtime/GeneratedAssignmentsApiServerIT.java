package dev.ozworker.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.ScriptedBackend;
import dev.ozworker.intake.AgentTaskNames;
import dev.ozworker.intake.AssignmentMapping;
import dev.ozworker.intake.InvalidAssignmentException;
import dev.ozworker.intake.TaskResources;
import dev.ozworker.kube.ClusterWithCrd;
import dev.ozworker.oz.Decoded;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.OzCodec;
import dev.ozworker.oz.TaskAssignment;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every assignment Oz can send ends at Oz, on a real API server (kube-local in CI, which refuses
 * {@code ""} in custom-resource string fields): 500 assignments generated from a seed, with every
 * field of the message model present, absent or empty, unicode, many env_vars, odd ids, and the
 * largest prompt and agent configuration a frame can carry, go through the real link and intake.
 * Each must be either stored (its AgentTask and Secret as the mapping made them, read back from the
 * server) and claimed, or claimed and failed once with a reason that says what was wrong; none is
 * rejected, none is answered twice, and a failed one leaves nothing behind. Works in a namespace of
 * its own, deleted at the end. {@code -Dassignments.seed=N} repeats a sequence.
 */
class GeneratedAssignmentsApiServerIT {
  static final int GENERATED = 500;
  static final long SEED = Long.getLong("assignments.seed", System.nanoTime());
  static final String API_KEY = "wk-generated-it";
  static final Duration WAIT = Duration.ofMinutes(5);

  @RegisterExtension static final ClusterWithCrd cluster = new ClusterWithCrd();

  /** What became of one assignment, and what it was expected to become. */
  record Case(String taskId, ObjectNode data, TaskResources expected, String invalid) {}

  @Test
  void everyGeneratedAssignmentIsStoredAndClaimedOrClaimedAndFailedWithAClearReason()
      throws Exception {
    long began = System.nanoTime();
    System.out.println("generated assignments: seed " + SEED + " (-Dassignments.seed=N repeats)");
    KubernetesClient client = cluster.client();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String namespace = "oz-generated-" + suffix;
    String workerId = "gen-" + suffix;
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    try (FakeOzServer oz = FakeOzServer.start(API_KEY);
        ScriptedBackend backend = new ScriptedBackend()) {
      List<Case> cases = cases(workerId);
      cases.forEach(c -> backend.ends(c.taskId(), new TaskOutcome.Succeeded("")));
      WorkerRuntime worker = start(client, namespace, workerId, oz, backend);
      try {
        for (Case c : cases) {
          oz.sendRaw(workerId, GeneratedAssignments.frame(c.data()));
        }
        await()
            .atMost(WAIT)
            .pollInterval(Duration.ofSeconds(1))
            .until(() -> cases.stream().allMatch(c -> ended(oz, c.taskId())));
        await().atMost(WAIT).until(() -> worker.unreportedResults() == 0);

        Map<String, AgentTask> stored =
            client.resources(AgentTask.class).inNamespace(namespace).list().getItems().stream()
                .collect(Collectors.toMap(t -> t.getSpec().getTaskId(), Function.identity()));
        Map<String, Secret> secrets =
            client.secrets().inNamespace(namespace).list().getItems().stream()
                .collect(Collectors.toMap(s -> s.getMetadata().getName(), Function.identity()));
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (Case c : cases) {
          String outcome = check(c, oz, stored, secrets, problems);
          outcomes.merge(outcome, 1, Integer::sum);
        }
        System.out.printf(
            "generated assignments: %d sent, outcomes %s, %.1f s, seed %d%n",
            cases.size(), outcomes, (System.nanoTime() - began) / 1e9, SEED);
        assertThat(problems).as("assignments that did not end as they should").isEmpty();
        assertThat(oz.connections(workerId)).as("one connection throughout").isEqualTo(1);
      } finally {
        removeTasks(client, namespace, workerId);
        worker.close();
      }
    } finally {
      client.secrets().inNamespace(namespace).delete();
      client.namespaces().withName(namespace).delete();
    }
  }

  /** Compares what happened to {@code c} with what should have; returns its outcome's name. */
  static String check(
      Case c,
      FakeOzServer oz,
      Map<String, AgentTask> stored,
      Map<String, Secret> secrets,
      List<String> problems) {
    List<Frame> frames = oz.received().stream().filter(f -> f.taskId().equals(c.taskId())).toList();
    List<String> types = frames.stream().map(Frame::type).toList();
    String id = c.taskId().length() > 40 ? c.taskId().substring(0, 40) + "..." : c.taskId();
    if (types.size() != 2 || !types.getFirst().equals("task_claimed")) {
      problems.add(id + ": answered " + types + ", not a claim and one result");
      return "wrong-answer";
    }
    Frame result = frames.get(1);
    AgentTask task = stored.get(c.taskId());
    if (c.invalid() != null) {
      expectFailedAtIntake(c, id, result, task, secrets, problems, c.invalid());
      return "failed:invalid:" + result.data().path("failure_reason").asText();
    }
    if (task == null) {
      // the API server refused its content: the failure must say what it refused
      String message = result.data().path("message").asText();
      boolean clear =
          message.startsWith("Failed to execute task: the Kubernetes API server refused the task")
              && (message.contains("spec.")
                  || message.contains("too large")
                  || message.contains("Too long"));
      if (!clear) {
        problems.add(id + ": not stored, and the failure does not say why: " + message);
      }
      expectFailedAtIntake(c, id, result, task, secrets, problems, null);
      return "failed:refused:" + refusal(message);
    }
    JsonNode want = tree(c.expected().agentTask().getSpec());
    JsonNode got = tree(task.getSpec());
    if (!want.equals(got)) {
      problems.add(id + ": stored spec differs: want " + cut(want) + " got " + cut(got));
    }
    // An assignment without env_vars has no Secret; one with them, its own, owned by the task.
    String secretName = AgentTaskNames.envSecret(task.getMetadata().getName());
    Secret secret = secrets.get(secretName);
    Optional<Secret> wanted = c.expected().envSecret();
    if (wanted.isEmpty() && secret != null) {
      problems.add(id + ": a Secret was stored for an assignment without env_vars");
    }
    if (wanted.isPresent()
        && (secret == null
            || !wanted.get().getData().equals(secret.getData())
            || secret.getMetadata().getOwnerReferences() == null
            || !secret
                .getMetadata()
                .getOwnerReferences()
                .getFirst()
                .getUid()
                .equals(task.getMetadata().getUid()))) {
      problems.add(id + ": Secret missing, different or not owned by its task");
    }
    return "stored:" + result.type();
  }

  static void expectFailedAtIntake(
      Case c,
      String id,
      Frame result,
      AgentTask task,
      Map<String, Secret> secrets,
      List<String> problems,
      String invalid) {
    if (!result.type().equals("task_failed")) {
      problems.add(id + ": expected task_failed, got " + result.text());
    }
    if (invalid != null
        && !result
            .data()
            .path("message")
            .asText()
            .equals("Failed to execute task: invalid assignment: " + invalid)) {
      problems.add(id + ": failed with " + result.data().path("message").asText());
    }
    if (task != null) {
      problems.add(id + ": failed, yet its AgentTask is stored");
    }
    if (c.expected() != null
        && c.expected().envSecret().isPresent()
        && secrets.containsKey(c.expected().envSecret().get().getMetadata().getName())) {
      problems.add(id + ": failed, yet its Secret is left behind");
    }
  }

  /** The assignments: generated ones, plus the sizes at and around the API server's limits. */
  static List<Case> cases(String workerId) {
    GeneratedAssignments generator = new GeneratedAssignments(SEED);
    List<ObjectNode> data = new ArrayList<>();
    for (int n = 0; n < GENERATED; n++) {
      data.add(generator.next(n));
    }
    data.add(generator.largest(GENERATED, false));
    data.add(generator.largest(GENERATED + 1, true));
    data.add(generator.withPrompt(GENERATED + 2, 1_000_000));
    data.add(generator.withPrompt(GENERATED + 3, 2_000_000));
    AssignmentMapping mapping = new AssignmentMapping(workerId, BackendKind.DIRECT);
    OzCodec codec = new OzCodec();
    Map<String, Case> cases = new LinkedHashMap<>();
    for (ObjectNode d : data) {
      String frame = GeneratedAssignments.frame(d);
      assertThat(frame.length()).isLessThanOrEqualTo(OzCodec.DEFAULT_MAX_FRAME_CHARS);
      if (!(codec.decode(frame) instanceof Decoded.Message(TaskAssignment assignment))) {
        throw new AssertionError("the generator made a frame the worker cannot read: " + cut(d));
      }
      Case c;
      try {
        c = new Case(assignment.taskId(), d, mapping.toResources(assignment), null);
      } catch (InvalidAssignmentException e) {
        c = new Case(assignment.taskId(), d, null, e.getMessage());
      }
      cases.put(c.taskId(), c);
    }
    return List.copyOf(cases.values());
  }

  static boolean ended(FakeOzServer oz, String taskId) {
    return !oz.framesAbout(taskId, "task_completed").isEmpty()
        || !oz.framesAbout(taskId, "task_failed").isEmpty()
        || !oz.framesAbout(taskId, "task_rejected").isEmpty();
  }

  static WorkerRuntime start(
      KubernetesClient client,
      String namespace,
      String workerId,
      FakeOzServer oz,
      ScriptedBackend backend)
      throws Exception {
    WorkerConfig config =
        WorkerConfigs.resolve(
            "worker_id: " + workerId + "\nnamespace: " + namespace,
            Map.of("WARP_API_KEY", API_KEY),
            "--backend",
            "direct",
            "--web-socket-url",
            oz.webSocketUrl().toString());
    WorkerRuntime worker =
        WorkerRuntime.start(
            client, config, List.of(backend), Clock.systemUTC(), true, LinkTimings.DEFAULT);
    await().atMost(Duration.ofSeconds(30)).until(() -> oz.isConnected(workerId));
    return worker;
  }

  /** Deletes the tasks while the worker runs, so that it releases their finalizers. */
  static void removeTasks(KubernetesClient client, String namespace, String workerId) {
    var tasks =
        client
            .resources(AgentTask.class)
            .inNamespace(namespace)
            .withLabel(AgentTaskKeys.WORKER_ID_LABEL, workerId);
    tasks.delete();
    await().atMost(WAIT).until(() -> tasks.list().getItems().isEmpty());
  }

  static String refusal(String message) {
    if (message.contains("too large") || message.contains("Too long")) {
      return "too-large";
    }
    int field = message.indexOf("spec.");
    return field < 0 ? "other" : message.substring(field).split("[:\\[ ]", 2)[0];
  }

  static String cut(Object value) {
    String text = String.valueOf(value);
    return text.length() > 300 ? text.substring(0, 300) + "..." : text;
  }

  /** The object as the client writes it, as a tree. */
  static JsonNode tree(Object value) {
    try {
      return JSON.readTree(Serialization.asJson(value));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static final ObjectMapper JSON = new ObjectMapper();
}
