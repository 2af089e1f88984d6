package dev.ozworker.controller;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The conditions of an AgentTask, set the Kubernetes way: a condition keeps its {@code
 * lastTransitionTime} while its status stays the same, even when reason or message change.
 */
final class AgentTaskConditions {
  /** The worker took the task: its spec resolved and its Secret was found. */
  static final String ACCEPTED = "Accepted";

  /** The task waits for a free slot ({@code max_concurrent_tasks}). */
  static final String QUEUED = "Queued";

  /** False while the backend prepares the task; true once the agent runs. */
  static final String STARTED = "Started";

  /** The task reached its final phase; the reason is that phase (or TimedOut). */
  static final String COMPLETED = "Completed";

  /** Teardown ran and the backend's resources were removed; false when teardown failed. */
  static final String TORN_DOWN = "TornDown";

  /**
   * True while reconciling the task fails (the message says why) and the worker retries; false once
   * a reconcile succeeds again. Absent on a task that never failed.
   */
  static final String RECONCILE_ERROR = "ReconcileError";

  /**
   * A task handed off to another runtime (phase Dispatched) was cancelled and the backend's {@code
   * cancel_command} was started for it: once only, also across restarts.
   */
  static final String CANCEL_PASSED_ON = "CancelPassedOn";

  private AgentTaskConditions() {}

  /** The conditions with {@code type} set as given; the list passed in is left alone. */
  static List<Condition> set(
      List<Condition> conditions,
      String type,
      boolean status,
      String reason,
      String message,
      long generation,
      Instant now) {
    String statusText = status ? "True" : "False";
    Optional<Condition> current = find(conditions, type);
    String since =
        current
            .filter(c -> statusText.equals(c.getStatus()))
            .map(Condition::getLastTransitionTime)
            .orElse(KubernetesTime.format(now));
    Condition next =
        new ConditionBuilder()
            .withType(type)
            .withStatus(statusText)
            .withReason(reason)
            .withMessage(message)
            .withObservedGeneration(generation)
            .withLastTransitionTime(since)
            .build();
    List<Condition> updated = new ArrayList<>(conditions == null ? List.of() : conditions);
    int index = updated.indexOf(current.orElse(null));
    if (index >= 0) {
      updated.set(index, next);
    } else {
      updated.add(next);
    }
    return updated;
  }

  static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
  }
}
