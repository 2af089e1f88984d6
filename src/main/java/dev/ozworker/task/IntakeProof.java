package dev.ozworker.task;

import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.config.ApiKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Proof that the intake stored a resource for an Oz task: an HMAC-SHA256 over what the resource is
 * (its kind, namespace and name, the Oz task and execution ids, and for an AgentTask the name of
 * its Secret), in the annotation {@link AgentTaskKeys#INTAKE_PROOF_ANNOTATION}. Its key is derived
 * from the worker's API key, which only the worker holds and every replica of a pool shares, so an
 * author of AgentTasks cannot make one, and a proof copied onto another resource does not verify
 * (ADR 0015). Only a task with a valid proof is reported to Oz or uses the Secret the intake made.
 */
public final class IntakeProof {
  private static final String ALGORITHM = "HmacSHA256";

  /** What the key is derived for: a new purpose of the API key must use another context. */
  private static final byte[] CONTEXT =
      "ozworker.dev intake proof v1".getBytes(StandardCharsets.UTF_8);

  private final SecretKeySpec key;

  private IntakeProof(byte[] key) {
    this.key = new SecretKeySpec(key, ALGORITHM);
  }

  /** The proofs of a worker holding {@code apiKey}. */
  public static IntakeProof of(ApiKey apiKey) {
    return new IntakeProof(
        mac(
            new SecretKeySpec(apiKey.value().getBytes(StandardCharsets.UTF_8), ALGORITHM),
            CONTEXT));
  }

  /** The proof of the AgentTask {@code name} stored in {@code namespace} with {@code spec}. */
  public String ofTask(String namespace, String name, AgentTaskSpec spec) {
    return proof(
        "AgentTask",
        namespace,
        name,
        spec.getTaskId(),
        spec.getExecutionId(),
        spec.getEnvFrom() == null ? null : spec.getEnvFrom().secretName());
  }

  /**
   * The proof of the Secret {@code secretName} made for the AgentTask {@code taskName} with {@code
   * spec}, both in {@code namespace}.
   */
  public String ofSecret(String namespace, String secretName, String taskName, AgentTaskSpec spec) {
    return proof(
        "Secret", namespace, secretName, taskName, spec.getTaskId(), spec.getExecutionId());
  }

  /**
   * Whether the AgentTask {@code name}, stored in {@code namespace} with {@code annotations} and
   * {@code spec}, is one the intake stored: it carries its valid proof.
   */
  public boolean storedTask(
      String namespace, String name, Map<String, String> annotations, AgentTaskSpec spec) {
    return namespace != null
        && spec != null
        && matches(annotation(annotations), ofTask(namespace, name, spec));
  }

  /**
   * Whether a Secret with {@code annotations} is the one the intake made for the AgentTask {@code
   * taskName}; only worth asking for a task it {@linkplain #storedTask stored}.
   */
  public boolean madeFor(
      String namespace,
      String secretName,
      Map<String, String> annotations,
      String taskName,
      AgentTaskSpec spec) {
    return matches(annotation(annotations), ofSecret(namespace, secretName, taskName, spec));
  }

  private static Optional<String> annotation(Map<String, String> annotations) {
    return Optional.ofNullable(annotations)
        .map(all -> all.get(AgentTaskKeys.INTAKE_PROOF_ANNOTATION));
  }

  private static boolean matches(Optional<String> given, String expected) {
    return given.isPresent()
        && MessageDigest.isEqual(
            given.get().getBytes(StandardCharsets.UTF_8),
            expected.getBytes(StandardCharsets.UTF_8));
  }

  /** Each field as its length and text, so that no two lists of fields read the same. */
  private String proof(String... fields) {
    StringBuilder text = new StringBuilder();
    for (String field : fields) {
      String value = Objects.requireNonNullElse(field, "");
      text.append(value.length()).append(':').append(value).append(';');
    }
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(mac(key, text.toString().getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] mac(SecretKeySpec key, byte[] message) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JVM has " + ALGORITHM, e);
    }
  }
}
