package dev.ozworker.backend.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A Pod's Events that tell of volumes the kubelet could not mount: reason {@code FailedMount}, or a
 * message with {@code MountVolume.SetUp failed}.
 */
final class MountFailures {
  private MountFailures() {}

  /** The most recent Event telling of a failed volume mount. */
  static Optional<Event> latest(List<Event> events) {
    return events.stream()
        .filter(
            event ->
                "FailedMount".equals(event.getReason())
                    || (event.getMessage() != null
                        && event.getMessage().contains("MountVolume.SetUp failed")))
        .max(Comparator.comparing(MountFailures::lastSeen));
  }

  /** When an Event was first seen, from whichever field its reporter filled in. */
  static Instant firstSeen(Event event) {
    return Stream.of(
            event.getFirstTimestamp(),
            event.getEventTime() == null ? null : event.getEventTime().getTime(),
            event.getMetadata() == null ? null : event.getMetadata().getCreationTimestamp())
        .map(MountFailures::instant)
        .flatMap(Optional::stream)
        .findFirst()
        .orElse(Instant.EPOCH);
  }

  /** When an Event was last seen, from whichever field its reporter filled in. */
  static Instant lastSeen(Event event) {
    return Stream.of(
            event.getSeries() == null || event.getSeries().getLastObservedTime() == null
                ? null
                : event.getSeries().getLastObservedTime().getTime(),
            event.getLastTimestamp(),
            event.getEventTime() == null ? null : event.getEventTime().getTime(),
            event.getFirstTimestamp(),
            event.getMetadata() == null ? null : event.getMetadata().getCreationTimestamp())
        .map(MountFailures::instant)
        .flatMap(Optional::stream)
        .findFirst()
        .orElse(Instant.EPOCH);
  }

  private static Optional<Instant> instant(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(text));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
