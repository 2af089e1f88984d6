package dev.ozworker.backend.direct;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A process started in a session of its own, and so leader of its own process group: a signal to
 * the group reaches every process it started, unless one made itself a session of its own too. The
 * group's id is the leader's process id, so it can be stored and signalled after a restart.
 *
 * <p>{@code /usr/bin/setsid} (util-linux) makes the session. A process the JVM starts is never a
 * group leader, so setsid calls {@code setsid()} and execs the command in the same process: the pid
 * the JVM sees is the group's id.
 */
record ProcessGroup(long id) {
  static final String SETSID = "/usr/bin/setsid";
  private static final String KILL = "/bin/kill";
  private static final File NO_INPUT = new File("/dev/null");

  /**
   * Starts {@code command} in a new session, its input from /dev/null.
   *
   * @param environment the process's whole environment: nothing of the JVM's is inherited
   * @param output where stdout and stderr go together; {@code null} for a pipe to read
   */
  static Process start(
      List<String> command, Path directory, Map<String, String> environment, File output)
      throws IOException {
    List<String> argv = new ArrayList<>(List.of(SETSID, "--wait"));
    argv.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(argv).directory(directory.toFile());
    builder.environment().clear();
    builder.environment().putAll(environment);
    builder.redirectInput(ProcessBuilder.Redirect.from(NO_INPUT)).redirectErrorStream(true);
    if (output != null) {
      builder.redirectOutput(ProcessBuilder.Redirect.appendTo(output));
    }
    return builder.start();
  }

  /**
   * SIGTERM now, SIGKILL after {@code grace} if any process is left. Signals on threads of their
   * own, not the backend's executor: a stop asked for completes even when the backend is closed
   * meanwhile.
   */
  void stop(Duration grace) {
    Executor ownThread = task -> Thread.ofPlatform().daemon().name("stop-" + id).start(task);
    CompletableFuture.runAsync(this::terminate, ownThread)
        .thenRunAsync(
            () -> {
              if (isAlive()) {
                kill();
              }
            },
            CompletableFuture.delayedExecutor(grace.toMillis(), TimeUnit.MILLISECONDS, ownThread));
  }

  /** Asks every process of the group to stop. */
  void terminate() {
    signal("TERM");
  }

  /** Kills every process of the group. */
  void kill() {
    signal("KILL");
  }

  /**
   * Kills what is left of the group once its leader has ended and been reaped: only the group is
   * signalled, never the leader's pid, which may belong to another process by now.
   */
  void killRemaining() {
    run(KILL, "-KILL", "--", "-" + id);
  }

  /** Whether any process of the group is alive. */
  boolean isAlive() {
    return signal("0");
  }

  /**
   * Signals the group; falls back to the leader alone when there is no group yet (the leader has
   * not called setsid yet) so an early cancel is not lost.
   *
   * @return whether some process received it
   */
  private boolean signal(String signal) {
    // "-TERM", not "-s TERM": procps kill in the worker's image (deploy/jre-base-image.sh) refuses
    // "-s SIG -- -PGID" with its usage text, so a cancel there never reached the agent.
    if (run(KILL, "-" + signal, "--", "-" + id)) {
      return true;
    }
    return !signal.equals("0") && run(KILL, "-" + signal, "--", Long.toString(id));
  }

  private static boolean run(String... command) {
    try {
      Process kill =
          new ProcessBuilder(command)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!kill.waitFor(10, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
        return false;
      }
      return kill.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
