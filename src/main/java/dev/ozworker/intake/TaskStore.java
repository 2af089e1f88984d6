package dev.ozworker.intake;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.OwnedByTask;
import dev.ozworker.observe.ApiServerError;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The intake's writes: an assignment's Secret and AgentTask, and {@code spec.cancel}. */
final class TaskStore {
  /** What storing an assignment came to. */
  enum Stored {
    /** The AgentTask (and its Secret) was created now. */
    NEW,
    /** The AgentTask existed: an earlier assignment of the same execution stored it. */
    EXISTING,
    /** A Secret of that name exists and was not made for this task: nothing was stored. */
    FOREIGN_SECRET,
    /** An AgentTask of that name exists and the intake did not store it: nothing was stored. */
    FOREIGN_TASK
  }

  private static final Logger LOG = LoggerFactory.getLogger(TaskStore.class);
  private static final String CANCEL_PATCH = "{\"spec\":{\"cancel\":true}}";
  private static final int CANCEL_ATTEMPTS = 4;

  private final KubernetesClient client;
  private final String namespace;
  private final SecretHandOff secrets;
  private final IntakeProof proof;

  /**
   * @param secrets told of each Secret as it is stored, so that the controller waits for it and
   *     takes it from there instead of reading it back
   * @param proof signs what is stored, and tells what an earlier assignment stored from what
   *     someone else did
   */
  TaskStore(KubernetesClient client, String namespace, SecretHandOff secrets, IntakeProof proof) {
    this.client = client;
    this.namespace = namespace;
    this.secrets = secrets;
    this.proof = proof;
  }

  /**
   * Creates the AgentTask, then its Secret owned by it, each with its proof: two writes, and none
   * to make the task own its Secret afterwards. When the Secret cannot be created, an AgentTask
   * created here is deleted again, so a rejected task leaves nothing behind. An AgentTask stored by
   * an earlier assignment gets its Secret now if that one was stopped before making it.
   */
  Stored store(TaskResources assigned) {
    TaskResources resources = assigned.provenIn(namespace, proof);
    AgentTask wanted = resources.agentTask();
    String taskName = wanted.getMetadata().getName();
    Optional<String> secretName = resources.envSecret().map(s -> s.getMetadata().getName());
    // Told before the AgentTask exists, so the controller waits for the Secret whenever the task
    // reaches it, instead of writing that it is missing.
    secretName.ifPresent(name -> secrets.expected(namespace, taskName, name));
    boolean handedOff = false;
    Optional<AgentTask> created = Optional.empty();
    try {
      created = create(withFinalizer(wanted));
      Optional<AgentTask> stored = created.or(() -> storedByIntake(wanted));
      if (stored.isEmpty()) {
        return Stored.FOREIGN_TASK;
      }
      if (resources.envSecret().isPresent()) {
        Optional<Secret> made = create(ownedBy(resources.envSecret().get(), stored.get()));
        if (made.isEmpty() && !isTasksOwn(resources)) {
          created.ifPresent(this::deleteQuietly);
          return Stored.FOREIGN_SECRET;
        }
        made.ifPresent(secrets::created);
        handedOff = made.isPresent();
      }
      return created.isPresent() ? Stored.NEW : Stored.EXISTING;
    } catch (KubernetesClientException e) {
      created.ifPresent(this::deleteQuietly);
      throw e;
    } finally {
      if (!handedOff) {
        secretName.ifPresent(name -> secrets.abandoned(namespace, name));
      }
    }
  }

  /**
   * Sets {@code spec.cancel}, retrying a few times: a lost cancellation leaves an agent running.
   */
  boolean cancel(String name) {
    for (int attempt = 1; ; attempt++) {
      try {
        // Patched through a task carrying only its name: by name alone, the client reads it first.
        client
            .resources(AgentTask.class)
            .inNamespace(namespace)
            .resource(named(name))
            .patch(PatchContext.of(PatchType.JSON_MERGE), CANCEL_PATCH);
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND || attempt == CANCEL_ATTEMPTS) {
          LOG.error(
              "setting spec.cancel on AgentTask {} failed: {}; set it with kubectl patch",
              name,
              ApiServerError.of(e));
          return false;
        }
        LOG.warn(
            "setting spec.cancel on AgentTask {} failed: {}; retrying", name, ApiServerError.of(e));
        if (!pause(Duration.ofSeconds(attempt))) {
          return false;
        }
      }
    }
  }

  /**
   * The task with the controller's finalizer on it already. The controller would otherwise add it
   * in a write of its own, and admit the task only on the event that write brings: one request and
   * one trip through the informers less on every task's way to its backend. The controller removes
   * it as it removes its own, once the task is deleted and its run cleaned up.
   */
  private static AgentTask withFinalizer(AgentTask task) {
    AgentTask stored = new AgentTask();
    stored.setMetadata(
        new ObjectMetaBuilder(task.getMetadata()).addToFinalizers(AgentTaskKeys.FINALIZER).build());
    stored.setSpec(task.getSpec());
    return stored;
  }

  private AgentTask named(String name) {
    AgentTask task = new AgentTask();
    task.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    return task;
  }

  /** Creates {@code resource}: as the API server answered, or empty when it exists already. */
  private <T extends HasMetadata> Optional<T> create(T resource) {
    try {
      return Optional.of(client.resource(resource).inNamespace(namespace).create());
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * Whether the existing Secret of that name was stored for this task (by an earlier assignment):
   * one made by someone else must never become the task's environment, whatever its labels say.
   */
  private boolean isTasksOwn(TaskResources wanted) {
    String name = wanted.envSecret().orElseThrow().getMetadata().getName();
    Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
    return existing != null
        && proof.madeFor(
            namespace,
            name,
            existing.getMetadata().getAnnotations(),
            wanted.agentTask().getMetadata().getName(),
            wanted.agentTask().getSpec());
  }

  /**
   * The existing AgentTask of that name, if an earlier assignment stored it: one written by someone
   * else under the name would otherwise be taken for the task, and never run it.
   */
  private Optional<AgentTask> storedByIntake(AgentTask wanted) {
    AgentTask existing =
        client
            .resources(AgentTask.class)
            .inNamespace(namespace)
            .withName(wanted.getMetadata().getName())
            .get();
    return Optional.ofNullable(existing)
        .filter(found -> TaskResources.storedByIntake(proof, found));
  }

  /** The Secret owned by {@code task}: deleting the task deletes it. */
  private static Secret ownedBy(Secret secret, AgentTask task) {
    return new SecretBuilder(secret)
        .editMetadata()
        .withOwnerReferences(OwnedByTask.reference(task))
        .endMetadata()
        .build();
  }

  /**
   * Deletes the AgentTask of a task that was not stored whole, retrying a few times: the task is
   * answered as not stored, and must not run. Its controller lets it go (it never started).
   */
  private void deleteQuietly(AgentTask task) {
    for (int attempt = 1; ; attempt++) {
      try {
        client.resource(task).inNamespace(namespace).delete();
        return;
      } catch (KubernetesClientException e) {
        if (attempt == CANCEL_ATTEMPTS) {
          LOG.error(
              "cannot delete AgentTask {} of a task that was not stored: {}; it must not run:"
                  + " delete it with kubectl",
              task.getMetadata().getName(),
              ApiServerError.of(e));
          return;
        }
        if (!pause(Duration.ofMillis(200L * attempt))) {
          return;
        }
      }
    }
  }

  private static boolean pause(Duration wait) {
    try {
      Thread.sleep(wait);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
