package dev.ozworker.backend.direct;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How the agent is started so that a restarted worker can still follow it: the oz CLI runs under a
 * small {@code /bin/sh} wrapper, in a session of its own (see {@link ProcessGroup}). The wrapper
 * gets the CLI's path and arguments as positional parameters and runs them as {@code "$@"}: they
 * are never parsed by a shell.
 *
 * <p>The wrapper writes its pid (the group's id) to {@link RunFiles#pid()}, sends the agent's
 * output into the FIFO {@link RunFiles#output()}, and when the agent ends writes its exit status
 * (128+N for signal N) to {@link RunFiles#exit()} and exits with it. So the worker that started the
 * run and a worker restarted meanwhile read the result the same way. Both files are written by the
 * shell's own {@code printf}, one line each: a reader takes only a complete line (see {@link
 * RunFiles}), so they need no {@code mv} process to appear whole: that exec cost several
 * milliseconds of every agent's start. The wrapper keeps the FIFO open for reading itself, so a
 * worker that dies never makes the agent's writes fail (SIGPIPE); while no worker reads, output
 * waits in the FIFO and the agent blocks once it is full. It traps SIGTERM so that a cancelled
 * agent's status is still written.
 *
 * <p>Nothing the agent started may outlive it (its workspace is about to be removed): once the
 * status is written, the wrapper kills its whole process group, itself last, with the shell's own
 * {@code kill} ({@link #ENDS_OWN_GROUP}). Done from the worker, that took two {@code /bin/kill}
 * processes per run, the most of any step of a trivial run (see bench/README.md); the worker now
 * kills the group only when the wrapper did not end that way.
 */
final class AgentProcess {
  static final String WRAPPER =
      """
      pid_file=$1 exit_file=$2 out=$3
      shift 3
      printf '%s\\n' "$$" >"$pid_file"
      exec 3<>"$out" >"$out" 2>&1
      trap : TERM INT HUP
      "$@" 3>&-
      code=$?
      printf '%s\\n' "$code" >"$exit_file"
      kill -KILL 0
      exit "$code"
      """;

  /**
   * How the wrapper ends when it has written the status: killed by its own SIGKILL to its group
   * (128 + 9), which also ended whatever the agent left in the group.
   */
  static final int ENDS_OWN_GROUP = 128 + 9;

  private static final String MKFIFO = "/usr/bin/mkfifo";

  private AgentProcess() {}

  /** The command that runs the CLI under the wrapper. */
  static List<String> command(Path oz, List<String> ozArgs, RunFiles files) {
    return command(List.of(), oz, ozArgs, files);
  }

  /**
   * The command that runs the CLI under the wrapper, through {@code before} (commands that end by
   * exec'ing their arguments, such as {@link McpConfigFiles#opener()} and {@link RunAs#prefix()}):
   * the wrapper stays the worker's, so it can write the run's files, and only what it runs changes
   * uid.
   */
  static List<String> command(List<String> before, Path oz, List<String> ozArgs, RunFiles files) {
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            "/bin/sh",
            "-c",
            WRAPPER,
            "oz-agent",
            files.pid().toString(),
            files.exit().toString(),
            files.output().toString()));
    command.addAll(before);
    command.add(oz.toString());
    command.addAll(ozArgs);
    return command;
  }

  /**
   * Makes a FIFO at each of {@code paths}, readable and writable by the worker's user only, with
   * one process; runs get theirs from {@link SpareFifos}.
   */
  static void makeFifos(List<Path> paths) throws IOException {
    List<String> command = new ArrayList<>(List.of(MKFIFO, "-m", "600", "--"));
    paths.forEach(path -> command.add(path.toString()));
    Process mkfifo = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!mkfifo.waitFor(30, TimeUnit.SECONDS)) {
        mkfifo.destroyForcibly();
        throw new IOException("mkfifo did not finish within 30 s");
      }
      if (mkfifo.exitValue() != 0) {
        throw new IOException(
            "mkfifo failed: "
                + new String(mkfifo.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                    .strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making the output FIFO", e);
    }
  }

  /**
   * Whether the wrapper ended its own process group: it wrote the agent's status and then died of
   * the SIGKILL it sent the group. A wrapper killed before that (a cancel's SIGKILL, the OOM
   * killer) may have left processes behind, and so does one that wrote no status.
   */
  static boolean endedOwnGroup(int wrapperStatus, RunFiles files) {
    return wrapperStatus == ENDS_OWN_GROUP && files.exitStatus().isPresent();
  }

  /**
   * Whether {@code pid} is this run's wrapper: its command line names the run's exit file, which no
   * other process has, so a reused pid is not mistaken for the run.
   */
  static boolean isWrapperOf(long pid, RunFiles files) {
    try {
      byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      List<String> argv = List.of(new String(cmdline, StandardCharsets.UTF_8).split("\0"));
      return argv.contains(WRAPPER) && argv.contains(files.exit().toString());
    } catch (IOException e) {
      return false;
    }
  }
}
