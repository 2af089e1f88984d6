package dev.ozworker.task;

import dev.ozworker.api.AgentConfig;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.FailureReason;
import dev.ozworker.api.InstanceShape;
import dev.ozworker.api.SidecarMount;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.DockerBackendConfig;
import dev.ozworker.config.GoDuration;
import dev.ozworker.config.TaskImages;
import dev.ozworker.config.WorkerConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns an AgentTask into the {@link TaskSpec} a backend runs, by the rules in docs/protocol.md
 * ("Resolution into {@code oz agent run}"). A pure function of the task, its Secret's entries and
 * the worker's configuration: no I/O, no clock, the same answer every time.
 *
 * <p>A user-authored task (no {@code spec.taskId}) has no task in Oz for the CLI to fetch, so it
 * runs {@code oz agent run --prompt <spec.prompt>} in place of {@code --task-id}, with the same
 * flags otherwise, and stops when done ({@code --idle-on-complete 0s}) unless its agent config or
 * the worker says how long to idle. Its {@code /agent} sidecar is the worker's configured {@code
 * sidecar_image} or, failing that, {@code spec.sidecarImage}.
 */
public final class TaskResolver {
  /** The task image when neither the task nor the worker names one. */
  public static final String FALLBACK_IMAGE = "ubuntu:22.04";

  /** Where the image holding the agent's entrypoint and CLI is mounted. */
  public static final String AGENT_MOUNT_PATH = "/agent";

  private final WorkerConfig config;

  /** The backend block's images; a block without any (Direct) has the Docker block's defaults. */
  private final TaskImages images;

  public TaskResolver(WorkerConfig config) {
    this.config = config;
    this.images = config.backend() instanceof TaskImages own ? own : DockerBackendConfig.defaults();
  }

  /**
   * @param name the AgentTask's name; the run id of a user-authored task
   * @param spec the AgentTask's spec
   * @param secretEnv the entries of the Secret named by {@code spec.envFrom}, empty when none
   */
  public TaskSpec resolve(String name, AgentTaskSpec spec, Map<String, String> secretEnv)
      throws InvalidTaskException {
    return resolve(new TaskObject("", name, "", Optional.empty()), spec, secretEnv);
  }

  /**
   * @param task the AgentTask's identity; its name is the run id of a user-authored task, and the
   *     Secret it names comes from {@code spec.envFrom}
   * @param spec the AgentTask's spec
   * @param secretEnv the entries of the Secret named by {@code spec.envFrom}, empty when none
   */
  public TaskSpec resolve(TaskObject task, AgentTaskSpec spec, Map<String, String> secretEnv)
      throws InvalidTaskException {
    String name = task.name();
    List<String> problems = new ArrayList<>();
    Optional<String> ozTaskId = nonBlank(spec.getTaskId());
    ozTaskId
        .map(TaskIds::problem)
        .ifPresent(why -> problems.add("spec.taskId " + why + ": use the id Oz assigned"));
    if (ozTaskId.isEmpty() && nonBlank(spec.getPrompt()).isEmpty()) {
      problems.add(
          "spec.prompt is empty: a task without spec.taskId runs `oz agent run --prompt`, so"
              + " give it a prompt");
    }
    BackendKind backend = backend(spec.getBackend(), problems);
    Duration timeout = timeout(spec.getTimeout(), problems);
    List<String> sidecarProblems = new ArrayList<>();
    List<Sidecar> sidecars = sidecars(spec, ozTaskId.isEmpty(), sidecarProblems);
    problems.addAll(sidecarProblems);
    if (!problems.isEmpty()) {
      // As in the reference worker, a task whose sidecars cannot be prepared fails as sidecar_prep.
      throw new InvalidTaskException(
          problems, sidecarProblems.isEmpty() ? FailureReason.UNKNOWN : FailureReason.SIDECAR_PREP);
    }
    return new TaskSpec(
        ozTaskId.orElse(name),
        ozTaskId,
        nonBlank(spec.getExecutionId()),
        backend,
        image(spec),
        env(ozTaskId, secretEnv),
        AgentArgs.of(ozTaskId, spec, config),
        sidecars,
        limits(spec.getInstanceShape()),
        timeout,
        harness(spec.getAgentConfig()),
        new TaskObject(
            task.namespace(),
            name,
            task.uid(),
            Optional.ofNullable(spec.getEnvFrom())
                .map(envFrom -> envFrom.secretName())
                .flatMap(TaskResolver::nonBlank)));
  }

  private BackendKind backend(String requested, List<String> problems) {
    BackendKind runs = config.backend().kind();
    Optional<String> name = nonBlank(requested);
    if (name.isPresent() && !name.get().equals(runs.toString())) {
      problems.add(
          "spec.backend is \""
              + name.get()
              + "\" but this worker runs the "
              + runs
              + " backend: remove spec.backend or hand the task to a "
              + name.get()
              + " worker");
    }
    return runs;
  }

  private Duration timeout(String given, List<String> problems) {
    Optional<String> text = nonBlank(given);
    if (text.isEmpty()) {
      return config.taskTimeout();
    }
    Optional<Duration> timeout = GoDuration.parse(text.get().trim());
    if (timeout.isEmpty()) {
      problems.add(
          "spec.timeout \"" + text.get() + "\" is not a duration: write e.g. 90m or 1h30m");
      return config.taskTimeout();
    }
    return timeout.get();
  }

  /** The task's image, else the worker's default image, else {@value #FALLBACK_IMAGE}. */
  private String image(AgentTaskSpec spec) {
    return nonBlank(spec.getImage()).or(images::defaultImage).orElse(FALLBACK_IMAGE);
  }

  /** Common variables first, then the Secret's in name order (a Secret's keys have no order). */
  private TaskEnv env(Optional<String> ozTaskId, Map<String, String> secretEnv) {
    List<TaskEnv.Entry> entries = new ArrayList<>();
    ozTaskId.ifPresent(id -> entries.add(new TaskEnv.Entry("TASK_ID", id, false)));
    entries.add(new TaskEnv.Entry("GIT_TERMINAL_PROMPT", "0", false));
    entries.add(new TaskEnv.Entry("GH_PROMPT_DISABLED", "1", false));
    config
        .serverRootUrl()
        .map(URI::toString)
        .filter(url -> !url.isEmpty())
        .ifPresent(url -> entries.add(new TaskEnv.Entry("WARP_SERVER_ROOT_URL", url, false)));
    new TreeMap<>(secretEnv)
        .forEach((name, value) -> entries.add(new TaskEnv.Entry(name, value, true)));
    return new TaskEnv(entries);
  }

  /**
   * The agent sidecar at {@code /agent}, then the task's further sidecars, then the worker's
   * coding-CLI sidecar for the task's harness, replacing the image Oz sent for that mount.
   */
  private List<Sidecar> sidecars(AgentTaskSpec spec, boolean userAuthored, List<String> problems) {
    List<Sidecar> sidecars = new ArrayList<>();
    Optional<String> agentImage = nonBlank(spec.getSidecarImage());
    if (agentImage.isPresent() || userAuthored) {
      images
          .sidecarImage()
          .or(() -> agentImage)
          .ifPresent(image -> sidecars.add(new Sidecar(image, AGENT_MOUNT_PATH, false)));
    }
    List<SidecarMount> additional =
        spec.getAdditionalSidecars() == null ? List.of() : spec.getAdditionalSidecars();
    for (int i = 0; i < additional.size(); i++) {
      SidecarMount mount = additional.get(i);
      String field = "spec.additionalSidecars[" + i + "]";
      if (mount == null || nonBlank(mount.image()).isEmpty()) {
        problems.add(field + ".image is empty: name the image to mount");
      } else if (mount.mountPath() == null || !mount.mountPath().startsWith("/")) {
        problems.add(field + ".mountPath must be an absolute path such as /mnt/tools");
      } else {
        sidecars.add(
            new Sidecar(mount.image(), mount.mountPath(), Boolean.TRUE.equals(mount.readWrite())));
      }
    }
    String harness = harness(spec.getAgentConfig());
    nonBlank(images.codingCliSidecars().get(harness))
        .filter(image -> !harness.isEmpty())
        .ifPresent(image -> useCodingCliSidecar(sidecars, harness, image));
    Set<String> mountPaths = new HashSet<>();
    sidecars.stream()
        .map(Sidecar::mountPath)
        .filter(path -> !mountPaths.add(path))
        .distinct()
        .forEach(
            path ->
                problems.add(
                    "two sidecars mount at "
                        + path
                        + ": give each of spec.sidecarImage and spec.additionalSidecars its own"
                        + " mountPath"));
    return sidecars;
  }

  private static void useCodingCliSidecar(List<Sidecar> sidecars, String harness, String image) {
    String mountPath = "/mnt/" + harness + "-cli-sidecar";
    for (int i = 0; i < sidecars.size(); i++) {
      if (sidecars.get(i).mountPath().equals(mountPath)) {
        sidecars.set(i, new Sidecar(image, mountPath, sidecars.get(i).readWrite()));
        return;
      }
    }
    sidecars.add(new Sidecar(image, mountPath, false));
  }

  private static ResourceLimits limits(InstanceShape shape) {
    if (shape == null) {
      return ResourceLimits.NONE;
    }
    OptionalLong nanoCpus =
        shape.vcpus() != null && shape.vcpus() > 0
            ? OptionalLong.of(shape.vcpus() * 1_000_000_000L)
            : OptionalLong.empty();
    OptionalLong memoryBytes =
        shape.memoryGb() != null && shape.memoryGb() > 0
            ? OptionalLong.of((long) shape.memoryGb() << 30)
            : OptionalLong.empty();
    return new ResourceLimits(nanoCpus, memoryBytes);
  }

  private static String harness(AgentConfig agent) {
    return Optional.ofNullable(agent)
        .map(AgentConfig::harness)
        .flatMap(harness -> nonBlank(harness.type()))
        .map(String::trim)
        .orElse("");
  }

  private static Optional<String> nonBlank(String text) {
    return Optional.ofNullable(text).filter(t -> !t.isBlank());
  }
}
