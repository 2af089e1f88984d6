package dev.ozworker.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.runtime.Poll;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the demo does: three assignments from the demo Oz endpoint — one succeeds, one fails with
 * exit code 3, one is cancelled while it runs — and the example AgentTask applied as a
 * user-authored task; then a summary of how each ended against what was expected.
 */
public final class DemoScenario {
  static final String HELLO_RESOURCE = "/dev/ozworker/examples/agenttask-hello.yaml";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofMillis(100);

  /** The condition the controller sets once a finished run's backend cleanup is done. */
  private static final String TORN_DOWN = "TornDown";

  /** One task of the demo and how it should end. */
  record Expectation(
      String name, Optional<String> taskId, AgentTaskPhase phase, Integer exitCode, String frame) {}

  private final KubernetesClient client;
  private final String namespace;
  private final DemoOzEndpoint oz;
  private final PrintWriter out;
  private final Clock clock;
  private final Poll poll;
  private final Images images;
  private final List<Expectation> expectations = new ArrayList<>();
  private final List<String> created = new ArrayList<>();

  /**
   * The images the assignments name ({@code docker_image}, {@code sidecar_image}): the task and
   * agent sidecar images for the Docker backend, the task image holding the agent for the
   * Kubernetes backend (no sidecar), none for the Direct backend.
   */
  public record Images(Optional<String> image, Optional<String> sidecar) {
    public static Images none() {
      return new Images(Optional.empty(), Optional.empty());
    }
  }

  public DemoScenario(
      KubernetesClient client,
      String namespace,
      DemoOzEndpoint oz,
      PrintWriter out,
      Clock clock,
      Images images) {
    this.client = client;
    this.namespace = namespace;
    this.oz = oz;
    this.out = out;
    this.clock = clock;
    this.poll = new Poll(clock, POLL);
    this.images = images;
  }

  /**
   * Runs the demo; true when every task ended as expected within {@code timeout}.
   *
   * @param suffix makes the task ids of this run unique
   * @param secret a secret value passed in the assignments' env_vars, which must never show
   */
  public boolean run(String suffix, String secret, Duration timeout) {
    Instant deadline = clock.instant().plus(timeout);
    if (!poll.until(oz::isConnected, deadline)) {
      say("the worker did not connect to the demo Oz endpoint");
      return false;
    }
    String ok = "demo-ok-" + suffix;
    String fail = "demo-fail-" + suffix;
    String cancel = "demo-cancel-" + suffix;
    assign(
        ok,
        "Succeeds",
        Map.of("DEMO_TOKEN", secret),
        AgentTaskPhase.Succeeded,
        0,
        "task_completed");
    assign(
        fail,
        "Fails with exit code 3",
        Map.of("DEMO_TOKEN", secret, "DEMO_EXIT", "3"),
        AgentTaskPhase.Failed,
        3,
        "task_failed");
    assign(
        cancel,
        "Cancelled while it runs",
        Map.of("DEMO_STEPS", "600", "DEMO_STEP_SECONDS", "0.1"),
        AgentTaskPhase.Cancelled,
        null,
        "task_completed CANCELLED");
    String hello = applyHello(suffix);
    expectations.add(
        new Expectation(
            hello, Optional.empty(), AgentTaskPhase.Succeeded, 0, "(none: not from Oz)"));
    if (poll.until(
        () -> phaseOf(cancel).filter(AgentTaskPhase.Running::equals).isPresent(), deadline)) {
      ObjectNode data = JSON.createObjectNode().put("task_id", cancel);
      sent("task_cancellation", cancel);
      oz.send("task_cancellation", data);
    }
    boolean finished = poll.until(this::allEnded, deadline);
    if (!finished) {
      say("not every task ended within " + timeout.toSeconds() + "s");
    }
    return summary() && finished;
  }

  /** Names of the AgentTasks this run created, for removal from a real cluster. */
  public List<String> created() {
    return List.copyOf(created);
  }

  private void assign(
      String taskId,
      String title,
      Map<String, String> env,
      AgentTaskPhase phase,
      Integer exitCode,
      String frame) {
    ObjectNode data = JSON.createObjectNode().put("task_id", taskId);
    ObjectNode task = data.putObject("task").put("id", taskId).put("title", title);
    task.putObject("task_definition").put("prompt", "Demo: " + title.toLowerCase());
    task.putObject("owner").put("Type", "USER").put("Id", 1);
    ObjectNode vars = data.putObject("env_vars");
    env.forEach(vars::put);
    images.image().ifPresent(image -> data.put("docker_image", image));
    images.sidecar().ifPresent(image -> data.put("sidecar_image", image));
    expectations.add(new Expectation(taskId, Optional.of(taskId), phase, exitCode, frame));
    sent("task_assignment", taskId + "  (" + title + ")");
    oz.send("task_assignment", data);
  }

  private String applyHello(String suffix) {
    AgentTask hello;
    try (InputStream yaml = DemoScenario.class.getResourceAsStream(HELLO_RESOURCE)) {
      hello =
          Serialization.unmarshal(Objects.requireNonNull(yaml, HELLO_RESOURCE), AgentTask.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    var tasks = client.resources(AgentTask.class).inNamespace(namespace);
    if (tasks.withName(hello.getMetadata().getName()).get() != null) {
      hello.getMetadata().setName(hello.getMetadata().getName() + "-" + suffix);
    }
    tasks.resource(hello).create();
    created.add(hello.getMetadata().getName());
    say("applied examples/agenttask-hello.yaml as AgentTask " + hello.getMetadata().getName());
    return hello.getMetadata().getName();
  }

  private boolean allEnded() {
    for (Expectation expected : expectations) {
      Optional<AgentTask> task = find(expected);
      boolean ended =
          task.map(AgentTask::getStatus)
              .filter(status -> status.getPhase() != null && status.getPhase().isTerminal())
              .filter(DemoScenario::tornDown)
              .isPresent();
      boolean reported =
          expected.taskId().isEmpty()
              || oz.received().stream()
                  .anyMatch(
                      f ->
                          f.taskId().equals(expected.taskId().get())
                              && f.type().startsWith("task_")
                              && isResult(f.type()));
      if (!ended || !reported) {
        return false;
      }
    }
    return true;
  }

  /**
   * The run's container or workspace is gone: the demo may close the backend without leaving it
   * behind. The phase turns final before that cleanup ends.
   */
  static boolean tornDown(AgentTaskStatus status) {
    return status.getConditions() != null
        && status.getConditions().stream().anyMatch(c -> TORN_DOWN.equals(c.getType()));
  }

  private boolean summary() {
    String format = "  %-26s %-10s %-10s %-5s %-18s %-28s %s%n";
    boolean allAsExpected = true;
    synchronized (out) {
      out.println();
      out.println("Summary");
      out.printf(format, "NAME", "EXPECTED", "PHASE", "EXIT", "REASON", "RESULT SENT TO OZ", "OK");
      for (Expectation expected : expectations) {
        AgentTaskStatus status =
            find(expected).map(AgentTask::getStatus).orElseGet(AgentTaskStatus::new);
        String frame = expected.taskId().map(this::resultFrame).orElse("(none: not from Oz)");
        boolean ok =
            expected.phase() == status.getPhase()
                && Objects.equals(expected.exitCode(), status.getExitCode())
                && frame.startsWith(expected.frame());
        allAsExpected &= ok;
        out.printf(
            format,
            expected.name(),
            expected.phase(),
            status.getPhase() == null ? "-" : status.getPhase(),
            status.getExitCode() == null ? "-" : status.getExitCode(),
            status.getFailureReason() == null ? "" : status.getFailureReason().wireName(),
            frame,
            ok ? "yes" : "NO");
      }
      out.println();
      out.println(
          allAsExpected ? "Every task ended as expected." : "Some tasks did not end as expected.");
      out.flush();
    }
    return allAsExpected;
  }

  private String resultFrame(String taskId) {
    return oz.received().stream()
        .filter(f -> f.taskId().equals(taskId) && isResult(f.type()))
        .map(
            f ->
                f.type()
                    + (f.data().has("task_state") ? " " + f.data().path("task_state").asText() : "")
                    + (f.data().has("exit_code")
                        ? " exit " + f.data().path("exit_code").asInt()
                        : ""))
        .findFirst()
        .orElse("-");
  }

  private static boolean isResult(String type) {
    return type.equals("task_completed") || type.equals("task_failed");
  }

  private Optional<AgentTaskPhase> phaseOf(String taskId) {
    return find(new Expectation(taskId, Optional.of(taskId), null, null, null))
        .map(AgentTask::getStatus)
        .map(AgentTaskStatus::getPhase);
  }

  private Optional<AgentTask> find(Expectation expected) {
    var tasks = client.resources(AgentTask.class).inNamespace(namespace);
    if (expected.taskId().isEmpty()) {
      return Optional.ofNullable(tasks.withName(expected.name()).get());
    }
    List<AgentTask> found =
        tasks.withLabel(AgentTaskKeys.TASK_ID_LABEL, expected.taskId().get()).list().getItems();
    found.forEach(
        task -> {
          if (!created.contains(task.getMetadata().getName())) {
            created.add(task.getMetadata().getName());
          }
        });
    return found.stream().findFirst();
  }

  private void sent(String type, String about) {
    say("→ " + type + "  " + about);
  }

  private void say(String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
