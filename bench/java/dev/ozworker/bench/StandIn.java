package dev.ozworker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * The oz CLI stand-in the benchmarks run, for our Direct backend, the reference worker's, and the
 * raw fork/exec floor alike. It announces its start with one line {@code "<BENCH_TASK> <pid>"} to
 * the FIFO named by {@code BENCH_STARTED} ({@link StartSignals} reads it: a real signal from the
 * started process), then ends at once, or with {@code BENCH_HOLD} set becomes {@code sleep
 * BENCH_HOLD} — by exec, so a cancel that signals only the CLI process still ends it.
 */
public final class StandIn {
  private static final String SCRIPT =
      """
      #!/bin/sh
      if [ -n "${BENCH_STARTED:-}" ]; then
        printf '%s %s\\n' "${BENCH_TASK:-}" "$$" >"$BENCH_STARTED"
      fi
      if [ -n "${BENCH_HOLD:-}" ]; then
        exec sleep "$BENCH_HOLD"
      fi
      exit 0
      """;

  private StandIn() {}

  /** Writes the stand-in as {@code dir/oz} (executable) and returns its path. */
  public static Path install(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path oz = dir.resolve("oz");
    Files.writeString(oz, SCRIPT);
    Files.setPosixFilePermissions(oz, PosixFilePermissions.fromString("rwx------"));
    return oz;
  }

  /** The env_vars of a task whose stand-in announces itself on {@code signals}. */
  public static Map<String, String> env(StartSignals signals, String taskId) {
    return Map.of("BENCH_STARTED", signals.path().toString(), "BENCH_TASK", taskId);
  }

  /** The same, for a stand-in that then sleeps for {@code seconds}. */
  public static Map<String, String> holding(StartSignals signals, String taskId, int seconds) {
    return Map.of(
        "BENCH_STARTED",
        signals.path().toString(),
        "BENCH_TASK",
        taskId,
        "BENCH_HOLD",
        String.valueOf(seconds));
  }
}
