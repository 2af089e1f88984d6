package dev.ozworker.intake;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.observe.ApiServerError;
import dev.ozworker.task.IntakeProof;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The intake's writes: an assignment's Secret and AgentTask, and {@code spec.cancel}. */
final class TaskStore {
  /** What storing an assignment came to. */
  enum Stored {
    /** Both resources were created now. */
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
  private final Consumer<Secret> secretCreated;
  private final IntakeProof proof;

  /**
   * @param secretCreated told of each Secret created, before its AgentTask is (the controller takes
   *     it from there instead of reading it back)
   * @param proof signs what is stored, and tells what an earlier assignment stored from what
   *     someone else did
   */
  TaskStore(
      KubernetesClient client,
      String namespace,
      Consumer<Secret> secretCreated,
      IntakeProof proof) {
    this.client = client;
    this.namespace = namespace;
    this.secretCreated = secretCreated;
    this.proof = proof;
  }

  /**
   * Creates the Secret, then the AgentTask, each with its proof. When the AgentTask cannot be
   * created, a Secret created here is deleted again, so a rejected task leaves nothing behind.
   */
  Stored store(TaskResources assigned) {
    TaskResources resources = assigned.provenIn(namespace, proof);
    Optional<Secret> created = create(resources.envSecret());
    if (created.isEmpty() && !isTasksOwn(resources)) {
      return Stored.FOREIGN_SECRET;
    }
    // Told before the AgentTask exists, so the controller knows it whenever the task reaches it.
    created.ifPresent(secretCreated);
    try {
      if (create(withFinalizer(resources.agentTask())).isPresent()) {
        return Stored.NEW;
      }
      if (isStoredByIntake(resources.agentTask())) {
        return Stored.EXISTING;
      }
      if (created.isPresent()) {
        deleteQuietly(resources.envSecret());
      }
      return Stored.FOREIGN_TASK;
    } catch (KubernetesClientException e) {
      if (created.isPresent()) {
        deleteQuietly(resources.envSecret());
      }
      throw e;
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
    String name = wanted.envSecret().getMetadata().getName();
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
   * Whether the existing AgentTask of that name was stored by an earlier assignment: one written by
   * someone else under the name would otherwise be taken for the task, and never run it.
   */
  private boolean isStoredByIntake(AgentTask wanted) {
    AgentTask existing =
        client
            .resources(AgentTask.class)
            .inNamespace(namespace)
            .withName(wanted.getMetadata().getName())
            .get();
    return existing != null && TaskResources.storedByIntake(proof, existing);
  }

  /**
   * Deletes the Secret of a task that was not stored, retrying a few times: the task is answered as
   * not stored, and its env_vars must not stay behind.
   */
  private void deleteQuietly(Secret secret) {
    for (int attempt = 1; ; attempt++) {
      try {
        client.resource(secret).inNamespace(namespace).delete();
        return;
      } catch (KubernetesClientException e) {
        if (attempt == CANCEL_ATTEMPTS) {
          LOG.error(
              "cannot delete Secret {} of a task that was not stored: {}; no task uses it:"
                  + " delete it with kubectl",
              secret.getMetadata().getName(),
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
