package dev.ozworker.backend.docker;

import dev.ozworker.config.DockerBackendConfig;
import dev.ozworker.config.EnvVar;
import dev.ozworker.config.VolumeMount;
import dev.ozworker.task.TaskSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/** Turns a resolved task into its container's parameters. Pure. */
final class ContainerSpecs {
  static final String ENTRYPOINT = "/agent/entrypoint.sh";
  static final String WORKING_DIR = "/workspace";
  static final String NAME_PREFIX = "oz-";

  private static final Pattern NAME_SAFE = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
  private static final int MAX_NAME_RUN_ID = 100;

  private ContainerSpecs() {}

  /**
   * The container of {@code task}.
   *
   * @param sidecarBinds {@code volume:path[:ro]} of the task's sidecars, in the task's order
   */
  static ContainerSpec of(
      TaskSpec task, String workerId, DockerBackendConfig config, List<String> sidecarBinds) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ENTRYPOINT);
    cmd.addAll(task.ozArgs());
    List<String> env = new ArrayList<>(task.env().assignments());
    for (EnvVar variable : config.environment()) {
      env.add(variable.name() + "=" + variable.value());
    }
    List<String> binds = new ArrayList<>(sidecarBinds);
    config.volumes().stream().map(VolumeMount::toBind).forEach(binds::add);
    ContainerHardening hardening = ContainerHardening.of(config);
    return new ContainerSpec(
        containerName(task),
        task.image(),
        labels(task, workerId),
        cmd,
        env,
        WORKING_DIR,
        binds,
        or(task.limits().memoryBytes(), hardening.defaultMemoryBytes()),
        or(task.limits().nanoCpus(), hardening.defaultNanoCpus()),
        config.networkMode().filter(mode -> !mode.isBlank()),
        hardening);
  }

  /** The instance shape's limit, else the configured default: each axis on its own. */
  private static OptionalLong or(OptionalLong fromShape, OptionalLong byDefault) {
    return fromShape.isPresent() ? fromShape : byDefault;
  }

  static Map<String, String> labels(TaskSpec task, String workerId) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(DockerLabels.TASK_ID, task.ozTaskId().orElse(task.runId()));
    labels.put(DockerLabels.WORKER_ID, workerId);
    task.executionId().ifPresent(id -> labels.put(DockerLabels.EXECUTION_ID, id));
    labels.put(DockerLabels.RUN_ID, task.runId());
    return labels;
  }

  /**
   * The container of one execution: {@code oz-<runId>}, suffixed {@code -<10 hex of sha256>} of the
   * execution id when Oz sent one. A follow-up execution of a run (same task id, new execution id)
   * so never collides with the container an earlier execution left (cleanup off, or not yet
   * removed); the reference worker leaves names to Docker, which never collide either.
   */
  static String containerName(TaskSpec task) {
    String base = containerName(task.runId());
    return task.executionId()
        .filter(id -> !id.isEmpty())
        .map(id -> base + "-" + sha256(id).substring(0, 10))
        .orElse(base);
  }

  /**
   * The container's name: {@code oz-<runId>} when the run id is a valid Docker name of modest
   * length; otherwise its safe characters and a hash of the whole id, so two ids never share a
   * name.
   */
  static String containerName(String runId) {
    if (NAME_SAFE.matcher(runId).matches() && runId.length() <= MAX_NAME_RUN_ID) {
      return NAME_PREFIX + runId;
    }
    String safe = safeName(runId);
    String kept = safe.length() > MAX_NAME_RUN_ID ? safe.substring(0, MAX_NAME_RUN_ID) : safe;
    return NAME_PREFIX + kept + "-" + sha256(runId).substring(0, 10);
  }

  /** {@code text} with every character Docker does not allow in names replaced by {@code -}. */
  static String safeName(String text) {
    StringBuilder safe = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '.'
              || c == '-';
      safe.append(ok ? c : '-');
    }
    return safe.toString();
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
