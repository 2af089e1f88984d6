package dev.ozworker.controller;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.observe.Redactor;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A failing reconcile shown on its task, where {@code kubectl describe} finds it: the condition
 * ReconcileError turns True with what failed (redacted) as its message, with a Warning Event, and
 * turns False after the next reconcile that succeeds.
 *
 * <p>Written like every status: by the task's owner only, through the {@link StatusWriter}, from
 * the copy the reconcile read, leaving the phase alone; never on a task in a final phase, whose
 * status is its result. Once per run of failures: while the condition is True, further failures go
 * to the log only, because each status write is a change that brings the next attempt forward,
 * ahead of the retry's backoff, and a message that differed each time would retry without pause.
 * The message is therefore the first failure's; the log has each attempt's. Best effort: a write
 * that fails is logged, and the reconcile's own failure is what the controller retries.
 */
final class ReconcileErrors {
  /** How much of a failure's description the condition keeps. */
  static final int MESSAGE_CHARS = 1024;

  private static final Logger log = LoggerFactory.getLogger(ReconcileErrors.class);

  private final TaskOwnership ownership;
  private final TaskStatuses statuses;
  private final StatusWriter writer;

  ReconcileErrors(TaskOwnership ownership, TaskStatuses statuses, StatusWriter writer) {
    this.ownership = ownership;
    this.statuses = statuses;
    this.writer = writer;
  }

  /**
   * Shows that reconciling {@code task} failed with {@code error}, unless it shows so already.
   *
   * @param redactor masks the secret values of the task's run in the message
   */
  void failed(AgentTask task, Exception error, Redactor redactor, TaskContext context) {
    if (!ownership.isMine(task)
        || TaskLifecycle.phaseOf(task.getStatus()).isTerminal()
        || showing(task)) {
      return;
    }
    String why = "reconciling failed, retrying: " + describe(error, redactor);
    write(task, statuses.reconcileFailed(task, why), context);
  }

  /** After a reconcile that succeeded: {@code latest}, as it read or wrote the task, is cleared. */
  void succeeded(AgentTask latest, TaskContext context) {
    if (ownership.isMine(latest) && showing(latest)) {
      write(latest, statuses.reconciled(latest), context);
    }
  }

  /** What failed, in one line a reader of the task can act on, without any secret value. */
  static String describe(Exception error, Redactor redactor) {
    String text = error.getMessage();
    if (error instanceof KubernetesClientException && text != null) {
      // fabric8 appends the whole Status the API server sent, whose message it quoted already.
      int status = text.indexOf(". Received status:");
      text = status < 0 ? text : text.substring(0, status);
    }
    String type =
        error.getClass().getSimpleName().isEmpty()
            ? error.getClass().getName()
            : error.getClass().getSimpleName();
    String described = redactor.redact(type + (text == null || text.isBlank() ? "" : ": " + text));
    return described.length() <= MESSAGE_CHARS
        ? described
        : described.substring(0, MESSAGE_CHARS - 3) + "...";
  }

  private static boolean showing(AgentTask task) {
    return task.getStatus() != null
        && AgentTaskConditions.isTrue(
            task.getStatus().getConditions(), AgentTaskConditions.RECONCILE_ERROR);
  }

  private void write(AgentTask task, AgentTaskStatus next, TaskContext context) {
    try {
      writer.write(task, next, context);
    } catch (RuntimeException e) {
      // Stale (the task changed since it was read) or refused: the next attempt tries again.
      log.warn(
          "could not write condition {} of AgentTask {}: {}",
          AgentTaskConditions.RECONCILE_ERROR,
          task.getMetadata().getName(),
          e.toString());
    }
  }
}
