package dev.ozworker.refcheck;

import java.util.List;
import java.util.Optional;

/**
 * The command lines and config files {@link CompatibilityIT} gives both workers. {@code {config}}
 * in a flag is replaced by the case's config file; {@code {home}} by the worker's home directory. A
 * case with {@code config} null gets the plain valid one.
 *
 * @param assign whether a task is assigned once the worker connects, to compare what reaches the
 *     CLI
 * @param difference why our worker differs today, when it does; such a case passes only while the
 *     two differ, so it must be moved to the agreeing cases once the difference is gone
 */
record CompatibilityCase(
    String name, List<String> flags, String config, boolean assign, Optional<String> difference) {

  static CompatibilityCase same(String name, String config, boolean assign, String... flags) {
    return new CompatibilityCase(name, List.of(flags), config, assign, Optional.empty());
  }

  /** A difference kept on purpose, with its reason (also in README). */
  static CompatibilityCase intended(
      String name, String reason, String config, boolean assign, String... flags) {
    return new CompatibilityCase(name, List.of(flags), config, assign, Optional.of(reason));
  }
}
