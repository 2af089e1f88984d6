package dev.ozworker.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * Waiting for a condition that gives no signal of its own (a count reaching zero in the worker's
 * caches, a phase in the API server), checked at a fixed period until a deadline.
 */
public record Poll(Clock clock, Duration every) {

  /**
   * True as soon as {@code done} holds; false when {@code deadline} passes first. Interrupted, it
   * keeps the interrupt and answers whether {@code done} holds at that moment.
   */
  public boolean until(BooleanSupplier done, Instant deadline) {
    while (!done.getAsBoolean()) {
      if (!clock.instant().isBefore(deadline)) {
        return false;
      }
      try {
        Thread.sleep(every);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return done.getAsBoolean();
      }
    }
    return true;
  }
}
