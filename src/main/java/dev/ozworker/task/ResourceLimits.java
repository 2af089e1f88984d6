package dev.ozworker.task;

import java.util.OptionalLong;

/**
 * Hard limits of the task's container, from the assignment's instance shape. Swap is capped at the
 * memory limit, so memory is a hard cap.
 *
 * @param nanoCpus CPU limit in billionths of a CPU
 * @param memoryBytes memory limit, and the memory-plus-swap limit
 */
public record ResourceLimits(OptionalLong nanoCpus, OptionalLong memoryBytes) {
  public static final ResourceLimits NONE =
      new ResourceLimits(OptionalLong.empty(), OptionalLong.empty());
}
