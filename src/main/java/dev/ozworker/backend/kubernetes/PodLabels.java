package dev.ozworker.backend.kubernetes;

import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.config.KubernetesNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Keys of the labels and the annotation on a task's Pod, and how ids become label values.
 *
 * <p>The six {@code oz-*} labels are the reference worker's, so its tooling (dashboards, {@code
 * kubectl} selectors) finds our Pods too; their values are sanitised ids, which may collide, so
 * each id also has a hash label that does not. The {@code ozworker.dev/*} and {@code
 * app.kubernetes.io/managed-by} labels are the operator's own: the backend's informer selects task
 * Pods by {@link #MANAGED_BY}.
 */
public final class PodLabels {
  /** The worker replica, sanitised ({@link #labelValue}). */
  public static final String WORKER_ID = "oz-worker-id";

  /** {@link #hash} of the worker id. */
  public static final String WORKER_HASH = "oz-worker-hash";

  /** The run id, sanitised. */
  public static final String TASK_ID = "oz-task-id";

  /** {@link #hash} of the run id. */
  public static final String TASK_HASH = "oz-task-hash";

  /** The execution id (the run id when Oz sent none), sanitised. */
  public static final String EXECUTION_ID = "oz-execution-id";

  /** {@link #hash} of the execution id (the run id when Oz sent none). */
  public static final String EXECUTION_HASH = "oz-execution-hash";

  /** What made the Pod: always {@link #MANAGED_BY_VALUE}. */
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

  public static final String MANAGED_BY_VALUE = "oz-worker-operator";

  /** The AgentTask the Pod runs, by name (hash-suffixed when the name is no label value). */
  public static final String AGENT_TASK = "ozworker.dev/agenttask";

  /** The worker replica that created the Pod, exactly as on the AgentTask. */
  public static final String OZ_WORKER_ID = AgentTaskKeys.WORKER_ID_LABEL;

  /** Annotation: the run id, exact (label values cannot hold every id). */
  public static final String RUN_ID_ANNOTATION = "ozworker.dev/run-id";

  /** Longest label value (and DNS label). */
  static final int MAX_LABEL_VALUE = 63;

  private static final int NAME_HASH_CHARS = 10;

  private PodLabels() {}

  /**
   * {@code id} as the reference worker writes it into a label value: lower case, every character
   * outside {@code [a-z0-9-_.]} replaced by {@code -}, trimmed of {@code -_.} at both ends, cut to
   * 63 characters, and {@code unknown} when nothing is left.
   */
  public static String labelValue(String id) {
    StringBuilder out = new StringBuilder(id.length());
    for (char c : id.toLowerCase(Locale.ROOT).toCharArray()) {
      boolean kept = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      out.append(kept || c == '.' ? c : '-');
    }
    String value = trimPunctuation(out.toString());
    if (value.length() > MAX_LABEL_VALUE) {
      value = trimPunctuation(value.substring(0, MAX_LABEL_VALUE));
    }
    return value.isEmpty() ? "unknown" : value;
  }

  /** The reference worker's id hash: the first 8 bytes of SHA-256 as 16 hex digits. */
  public static String hash(String id) {
    return sha256(id).substring(0, 16);
  }

  /**
   * {@code name} when it is a label value; otherwise a lower-case prefix of it and a hash of the
   * whole, so two names never share a value.
   */
  static String exactOrHashed(String name) {
    if (KubernetesNames.isLabelValue(name)) {
      return name;
    }
    return dnsFragment(name, MAX_LABEL_VALUE - 1 - NAME_HASH_CHARS, "task")
        + "-"
        + sha256(name).substring(0, NAME_HASH_CHARS);
  }

  /**
   * {@code text} lower-cased with every run of characters outside {@code [a-z0-9]} turned into one
   * {@code -}, trimmed of {@code -}, at most {@code room} characters; {@code fallback} when empty.
   */
  static String dnsFragment(String text, int room, String fallback) {
    String cleaned =
        text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    if (cleaned.length() > room) {
      cleaned = cleaned.substring(0, room).replaceAll("-+$", "");
    }
    return cleaned.isEmpty() ? fallback : cleaned;
  }

  /** {@value #NAME_HASH_CHARS} hex digits of SHA-256, for names. */
  static String nameHash(String text) {
    return sha256(text).substring(0, NAME_HASH_CHARS);
  }

  private static String trimPunctuation(String value) {
    return value.replaceAll("^[-_.]+|[-_.]+$", "");
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
