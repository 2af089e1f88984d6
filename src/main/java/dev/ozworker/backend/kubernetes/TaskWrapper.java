package dev.ozworker.backend.kubernetes;

import java.util.Optional;

/**
 * The script the task container runs with {@code /bin/sh -c}, the agent's arguments following as
 * {@code "$@"}. It is POSIX sh, so it runs the same under dash, busybox and bash.
 *
 * <p>Both forms first read {@code $OZ_ENVIRONMENT_FILE} (written by the setup command) with {@code
 * set -a}, so its assignments reach the agent as environment.
 *
 * <p>Without a teardown command the shell {@code exec}s the entry point, as the reference worker
 * does. With one, teardown must run after every run: success, failure and cancellation alike (the
 * reference's preStop hook runs only when the Pod is deleted). So the entry point runs in the
 * background with the shell as the container's main process: a TERM or INT (the kubelet's stop, a
 * deadline, a deletion) is passed on to the agent as TERM, the shell waits for the agent to end,
 * runs the teardown command, writes {@code teardown-exit=<code>} to the termination-message file
 * (where the kubelet reads it into the container's status) and exits with the agent's status. A
 * cancelled run's teardown has what is left of the grace period the worker deletes the Pod with
 * ({@code cancel_grace_period}).
 *
 * <p>INT is passed on as TERM because sh starts a background command with INT ignored, and a shell
 * script cannot undo that.
 *
 * <p>The teardown command runs in the task container, so it sees the agent's environment, the
 * task's secret variables and the setup's environment file included (the Direct backend's teardown
 * sees neither).
 */
final class TaskWrapper {
  /** The agent's entry point, in the sidecar mounted at {@code /agent}. */
  static final String ENTRYPOINT = "/agent/entrypoint.sh";

  /** The kubelet's default {@code terminationMessagePath}. */
  static final String TERMINATION_LOG = "/dev/termination-log";

  /** What {@link #RUN_THEN_TEAR_DOWN} writes to the termination-message file, before the code. */
  static final String TEARDOWN_EXIT = "teardown-exit=";

  private static final String READ_ENVIRONMENT_FILE =
      """
      if [ -f "$OZ_ENVIRONMENT_FILE" ]; then
        set -a
        . "$OZ_ENVIRONMENT_FILE"
        set +a
      fi
      """;

  /**
   * The wrapper with teardown; {@code @ENTRYPOINT@}, {@code @TERMINATION_LOG@} and
   * {@code @TEARDOWN@} stand for single-quoted words.
   *
   * <p>{@code wait} returns early (128+N) when a trapped signal arrives; {@code interrupted} tells
   * that apart from the agent's own end, and a repeated {@code wait} collects the agent's real
   * status. A shell that had already collected it answers 127 for an unknown process, and the
   * status it has stands.
   */
  private static final String RUN_THEN_TEAR_DOWN =
      """
      agent=
      pending=
      interrupted=
      stop_agent() {
        interrupted=1
        if [ -n "$agent" ]; then kill -TERM "$agent" 2>/dev/null; else pending=1; fi
      }
      trap stop_agent TERM INT
      @ENTRYPOINT@ "$@" &
      agent=$!
      if [ -n "$pending" ]; then kill -TERM "$agent" 2>/dev/null; fi
      wait "$agent"
      status=$?
      while [ -n "$interrupted" ]; do
        interrupted=
        wait "$agent"
        code=$?
        if [ "$code" -ne 127 ]; then status=$code; fi
      done
      trap : TERM INT
      /bin/sh -c @TEARDOWN@
      teardown=$?
      { printf 'teardown-exit=%d\\n' "$teardown" > @TERMINATION_LOG@; } 2>/dev/null
      exit "$status"
      """;

  private TaskWrapper() {}

  /** The wrapper for the Pod: entry point and termination-message file at their usual paths. */
  static String script(Optional<String> teardownCommand) {
    return script(teardownCommand, ENTRYPOINT, TERMINATION_LOG);
  }

  /**
   * The wrapper with the entry point and termination-message file at other paths, so tests can run
   * it outside a container.
   */
  static String script(Optional<String> teardownCommand, String entrypoint, String terminationLog) {
    if (teardownCommand.isEmpty()) {
      return READ_ENVIRONMENT_FILE + "exec " + quote(entrypoint) + " \"$@\"\n";
    }
    // The teardown command last, so nothing in it is taken for a placeholder.
    return READ_ENVIRONMENT_FILE
        + RUN_THEN_TEAR_DOWN
            .replace("@ENTRYPOINT@", quote(entrypoint))
            .replace("@TERMINATION_LOG@", quote(terminationLog))
            .replace("@TEARDOWN@", quote(teardownCommand.get()));
  }

  /** {@code text} as one single-quoted sh word. */
  static String quote(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }
}
