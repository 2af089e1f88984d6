package dev.ozworker.oz;

import java.util.Arrays;
import java.util.Optional;

/** The {@code type} of a frame, and the record its {@code data} is read into. */
public enum MessageType {
  TASK_ASSIGNMENT("task_assignment", TaskAssignment.class),
  TASK_CANCELLATION("task_cancellation", TaskCancellation.class),
  TASK_CLAIMED("task_claimed", TaskClaimed.class),
  TASK_REJECTED("task_rejected", TaskRejected.class),
  TASK_COMPLETED("task_completed", TaskCompleted.class),
  TASK_FAILED("task_failed", TaskFailed.class);

  private final String wireName;
  private final Class<? extends OzMessage> messageClass;

  MessageType(String wireName, Class<? extends OzMessage> messageClass) {
    this.wireName = wireName;
    this.messageClass = messageClass;
  }

  /** The type as written in frames. */
  public String wireName() {
    return wireName;
  }

  Class<? extends OzMessage> messageClass() {
    return messageClass;
  }

  /** The type named {@code wireName} (case-sensitive, as the reference compares it). */
  public static Optional<MessageType> fromWire(String wireName) {
    return Arrays.stream(values()).filter(type -> type.wireName.equals(wireName)).findFirst();
  }

  /** The type of {@code message}. */
  public static MessageType of(OzMessage message) {
    return switch (message) {
      case TaskAssignment m -> TASK_ASSIGNMENT;
      case TaskCancellation m -> TASK_CANCELLATION;
      case TaskClaimed m -> TASK_CLAIMED;
      case TaskRejected m -> TASK_REJECTED;
      case TaskCompleted m -> TASK_COMPLETED;
      case TaskFailed m -> TASK_FAILED;
    };
  }
}
