package dev.ozworker.oz;

import java.util.Optional;

/**
 * Why a frame could not be read. Built from the frame's structure only: it names the field at fault
 * but never quotes a value, so it is safe to log even when the frame carried secrets.
 *
 * @param type the frame's type, when it had a readable one
 * @param taskId the frame's {@code data.task_id}, when readable, so the task can be rejected
 * @param detail what is wrong, naming the field
 */
public record DecodeError(
    Kind kind, Optional<String> type, Optional<String> taskId, String detail) {

  /** The kinds of malformed frames. */
  public enum Kind {
    TOO_LARGE,
    TOO_DEEP,
    NOT_JSON,
    NOT_AN_OBJECT,
    NO_TYPE,
    WRONG_TYPE,
    MISSING_FIELD
  }

  /** One line for the log, e.g. {@code task_assignment frame rejected: data.task is missing}. */
  public String describe() {
    return type.map(Printable::of).orElse("unreadable")
        + " frame rejected: "
        + detail
        + taskId.map(id -> " (task " + Printable.of(id) + ")").orElse("");
  }
}
