package dev.ozworker.controller;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** Timestamps as Kubernetes writes them: RFC 3339 in UTC, whole seconds. */
final class KubernetesTime {
  private KubernetesTime() {}

  static String format(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** The instant of a stored timestamp; empty when absent or unreadable. */
  static Optional<Instant> parse(String timestamp) {
    if (timestamp == null || timestamp.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(timestamp));
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
