package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on AgentTasks, as {@code kubectl describe} and {@code kubectl get events} show
 * them: for what a user must notice, since every Event is a write to the cluster's shared API
 * server. A task that fails or is cancelled, one that queues, a condition turning false (a missing
 * Secret, an invalid spec, a failed teardown), a reconcile that starts to fail, a task claimed or
 * adopted by a replica. A task on its usual way (Preparing, Running, Succeeded) writes none: its
 * status conditions and their transition times show that way. Events repeating are counted and
 * rate-limited as Kubernetes' own recorder does ({@link EventCorrelator}). Best effort: a failed
 * write is logged and the task goes on. Messages are the status's own, already redacted.
 */
final class TaskEvents {
  static final String COMPONENT = "oz-worker";
  private static final Logger log = LoggerFactory.getLogger(TaskEvents.class);

  private final String workerId;
  private final Clock clock;
  private final EventCorrelator correlator;
  private final AtomicLong sequence = new AtomicLong();

  /** One for the worker: what it remembers of earlier Events decides how the next is written. */
  TaskEvents(String workerId, Clock clock) {
    this.workerId = workerId;
    this.clock = clock;
    this.correlator = new EventCorrelator(clock);
  }

  /** Records what changed between two statuses of the task. */
  void changed(
      KubernetesClient client, AgentTask task, AgentTaskStatus before, AgentTaskStatus after) {
    AgentTaskPhase was = before == null ? null : before.getPhase();
    List<Condition> old = before == null ? List.of() : before.getConditions();
    if (turnedTrue(old, after.getConditions(), AgentTaskConditions.QUEUED)) {
      record(client, task, "Normal", "Queued", after.getMessage());
    }
    if (turnedTrue(old, after.getConditions(), AgentTaskConditions.RECONCILE_ERROR)) {
      AgentTaskConditions.find(after.getConditions(), AgentTaskConditions.RECONCILE_ERROR)
          .ifPresent(c -> record(client, task, "Warning", c.getReason(), c.getMessage()));
    }
    // Accepted and TornDown turn false only when something is wrong (a missing Secret, an invalid
    // spec, a failed teardown): each new reason is worth a warning.
    for (String type : List.of(AgentTaskConditions.ACCEPTED, AgentTaskConditions.TORN_DOWN)) {
      Optional<Condition> now = AgentTaskConditions.find(after.getConditions(), type);
      Optional<String> reasonBefore =
          AgentTaskConditions.find(old, type)
              .filter(c -> "False".equals(c.getStatus()))
              .map(Condition::getReason);
      now.filter(c -> "False".equals(c.getStatus()))
          .filter(c -> !reasonBefore.equals(Optional.of(c.getReason())))
          .ifPresent(c -> record(client, task, "Warning", c.getReason(), c.getMessage()));
    }
    if (after.getPhase() != was && after.getPhase() == AgentTaskPhase.Failed) {
      record(client, task, "Warning", after.getPhase().name(), after.getMessage());
    } else if (after.getPhase() != was && after.getPhase() == AgentTaskPhase.Cancelled) {
      record(client, task, "Normal", after.getPhase().name(), after.getMessage());
    }
  }

  /** Records one event on the task, or counts it again on the one it repeats. */
  void record(KubernetesClient client, AgentTask task, String type, String reason, String message) {
    String namespace = task.getMetadata().getNamespace();
    EventCorrelator.Decision decision =
        correlator.decide(task.getMetadata().getUid(), type, reason, message);
    try {
      switch (decision) {
        case EventCorrelator.Decision.Drop drop ->
            log.debug("event {} on AgentTask {} dropped: rate limit", reason, name(task));
        case EventCorrelator.Decision.Create create -> {
          Event event = event(task, type, reason, create.message());
          client.v1().events().inNamespace(namespace).resource(event).create();
          correlator.written(create.identity(), event.getMetadata().getName());
        }
        case EventCorrelator.Decision.Update update -> {
          try {
            client
                .v1()
                .events()
                .inNamespace(namespace)
                .withName(update.name())
                .patch(
                    PatchContext.of(PatchType.JSON_MERGE),
                    client
                        .getKubernetesSerialization()
                        .asJson(
                            Map.of(
                                "count", update.count(),
                                "message", update.message(),
                                "lastTimestamp", KubernetesTime.format(clock.instant()))));
          } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
              throw e;
            }
            // Events expire (an hour by default): the next one like it starts anew.
            correlator.forget(update.identity());
          }
        }
      }
    } catch (KubernetesClientException e) {
      log.warn(
          "could not record event {} on AgentTask {}: HTTP {}", reason, name(task), e.getCode());
    }
  }

  private Event event(AgentTask task, String type, String reason, String message) {
    Instant now = clock.instant();
    String time = KubernetesTime.format(now);
    // The sequence alone would repeat across worker restarts in the same millisecond; the version
    // the task was read at does not.
    String name =
        String.format(
            "%s.%x%04x.%s",
            task.getMetadata().getName(),
            now.toEpochMilli(),
            sequence.incrementAndGet() & 0xffff,
            Objects.toString(task.getMetadata().getResourceVersion(), "0"));
    return new EventBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(task.getMetadata().getNamespace())
        .endMetadata()
        .withInvolvedObject(
            new ObjectReferenceBuilder()
                .withApiVersion(task.getApiVersion())
                .withKind(task.getKind())
                .withName(task.getMetadata().getName())
                .withNamespace(task.getMetadata().getNamespace())
                .withUid(task.getMetadata().getUid())
                .withResourceVersion(task.getMetadata().getResourceVersion())
                .build())
        .withType(type)
        .withReason(reason)
        .withMessage(message)
        .withNewSource()
        .withComponent(COMPONENT)
        .withHost(workerId)
        .endSource()
        .withReportingComponent(AgentTask.GROUP + "/" + COMPONENT)
        .withReportingInstance(workerId)
        .withFirstTimestamp(time)
        .withLastTimestamp(time)
        .withCount(1)
        .build();
  }

  private static String name(AgentTask task) {
    return task.getMetadata().getName();
  }

  private static boolean turnedTrue(List<Condition> before, List<Condition> after, String type) {
    return AgentTaskConditions.isTrue(after, type) && !AgentTaskConditions.isTrue(before, type);
  }
}
