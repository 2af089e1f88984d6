package dev.ozworker.intake;

import dev.ozworker.config.KubernetesNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Kubernetes names for the resources of an Oz task, derived from its ids alone, so a repeated
 * assignment finds what the first one stored. An id that is already a valid name is used as is (Oz
 * ids are UUIDs, so {@code kubectl get at} shows them); any other is lower-cased, stripped to the
 * allowed characters and suffixed with a short hash of the original, so two ids never share a name.
 */
public final class AgentTaskNames {
  /** Longest name: a DNS label, so the name also fits label values and container names. */
  public static final int MAX_NAME_LENGTH = 63;

  private static final int HASH_CHARS = 10;

  private AgentTaskNames() {}

  /**
   * The AgentTask's name. Each execution of a task (a follow-up run has a new execution id) gets
   * its own AgentTask; without an execution id, the task id alone decides.
   */
  public static String agentTask(String taskId, String executionId) {
    boolean noExecution = executionId == null || executionId.isEmpty();
    if (noExecution && KubernetesNames.isDnsLabel(taskId)) {
      return taskId;
    }
    return readable(taskId) + "-" + hash(noExecution ? taskId : taskId + "/" + executionId);
  }

  /** The Secret holding the task's env_vars. */
  public static String envSecret(String agentTaskName) {
    return agentTaskName + "-env";
  }

  /** The value of the task-id label: the id itself when it is a valid label value. */
  public static String taskIdLabel(String taskId) {
    return KubernetesNames.isLabelValue(taskId) ? taskId : readable(taskId) + "-" + hash(taskId);
  }

  /** A lower-case prefix of {@code id} that leaves room for the hash. */
  private static String readable(String id) {
    String cleaned =
        id.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    int room = MAX_NAME_LENGTH - 1 - HASH_CHARS;
    if (cleaned.length() > room) {
      cleaned = cleaned.substring(0, room).replaceAll("-+$", "");
    }
    return cleaned.isEmpty() ? "task" : cleaned;
  }

  private static String hash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, HASH_CHARS);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
