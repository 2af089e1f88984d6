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
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on AgentTasks, as {@code kubectl describe} and {@code kubectl get events} show
 * them: one per phase change, one when a task queues, one when a condition turns false, one when
 * reconciling it starts to fail. Best effort: a failed write is logged and the task goes on.
 * Messages are the status's own, already redacted.
 */
final class TaskEvents {
  static final String COMPONENT = "oz-worker";
  private static final Logger log = LoggerFactory.getLogger(TaskEvents.class);

  private final KubernetesClient client;
  private final String workerId;
  private final Clock clock;
  private final AtomicLong sequence = new AtomicLong();

  TaskEvents(KubernetesClient client, String workerId, Clock clock) {
    this.client = client;
    this.workerId = workerId;
    this.clock = clock;
  }

  /** Records what changed between two statuses of the task. */
  void changed(AgentTask task, AgentTaskStatus before, AgentTaskStatus after) {
    AgentTaskPhase was = before == null ? null : before.getPhase();
    List<Condition> old = before == null ? List.of() : before.getConditions();
    if (turnedTrue(old, after.getConditions(), AgentTaskConditions.QUEUED)) {
      record(task, "Normal", "Queued", after.getMessage());
    }
    if (turnedTrue(old, after.getConditions(), AgentTaskConditions.RECONCILE_ERROR)) {
      AgentTaskConditions.find(after.getConditions(), AgentTaskConditions.RECONCILE_ERROR)
          .ifPresent(c -> record(task, "Warning", c.getReason(), c.getMessage()));
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
          .ifPresent(c -> record(task, "Warning", c.getReason(), c.getMessage()));
    }
    if (after.getPhase() != was && after.getPhase() != AgentTaskPhase.Pending) {
      String type = after.getPhase() == AgentTaskPhase.Failed ? "Warning" : "Normal";
      record(task, type, after.getPhase().name(), after.getMessage());
    }
  }

  /** Records one event on the task. */
  void record(AgentTask task, String type, String reason, String message) {
    Instant now = clock.instant();
    String time = KubernetesTime.format(now);
    // Each write tells its events through a TaskEvents of its own, so the sequence alone repeats
    // across writes in the same millisecond; the version each was decided from does not.
    String name =
        String.format(
            "%s.%x%04x.%s",
            task.getMetadata().getName(),
            now.toEpochMilli(),
            sequence.incrementAndGet() & 0xffff,
            Objects.toString(task.getMetadata().getResourceVersion(), "0"));
    Event event =
        new EventBuilder()
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
    try {
      client.v1().events().inNamespace(task.getMetadata().getNamespace()).resource(event).create();
    } catch (KubernetesClientException e) {
      log.warn(
          "could not record event {} on AgentTask {}: HTTP {}",
          reason,
          task.getMetadata().getName(),
          e.getCode());
    }
  }

  private static boolean turnedTrue(List<Condition> before, List<Condition> after, String type) {
    return AgentTaskConditions.isTrue(after, type) && !AgentTaskConditions.isTrue(before, type);
  }
}
