package dev.ozworker.backend.direct;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Runs {@code setup_command} via {@code /bin/sh -c} in the workspace, in its own session, and reads
 * the dotenv file it wrote to {@code OZ_ENVIRONMENT_FILE} (a temporary file in the workspace,
 * removed afterwards). A non-zero exit, or a file that is not dotenv, fails the run with {@code
 * setup_command}. A {@code $NAME} in the file expands from what the agent gets anyway (its HOME,
 * TMPDIR, PATH and the task's variables), so the file cannot copy a variable of the worker's into
 * the agent's environment.
 */
final class SetupCommand {
  private SetupCommand() {}

  /**
   * @param started hears the setup's process group, so a cancel can stop it
   * @return the variables setup wrote, for the agent
   */
  static CompletableFuture<Map<String, String>> run(
      String command,
      Path workspace,
      AgentEnvironment env,
      TaskLog output,
      Duration drain,
      Executor executor,
      Optional<RunAs> runAs,
      Consumer<ProcessGroup> started)
      throws TaskFailure {
    Path envFile;
    try {
      envFile = Files.createTempFile(workspace, "oz-env-", "");
      if (runAs.isPresent()) {
        runAs.get().own(envFile);
      }
    } catch (IOException e) {
      throw new TaskFailure(
          FailureReason.WORKSPACE_SETUP, null, "failed to create environment file: " + e, e);
    }
    Map<String, String> setupEnv = env.setup(envFile);
    Process process;
    try {
      List<String> shell = List.of("/bin/sh", "-c", command);
      process =
          ProcessGroup.start(
              runAs.map(as -> as.wrap(shell)).orElse(shell), workspace, setupEnv, null);
    } catch (IOException e) {
      throw new TaskFailure(
          FailureReason.SETUP_COMMAND, null, "setup command could not start: " + e, e);
    }
    started.accept(new ProcessGroup(process.pid()));
    CompletableFuture<Void> pump =
        OutputPump.copy(process.getInputStream(), output, "setup-" + env.runId());
    return process
        .onExit()
        .thenCompose(exited -> OutputPump.drained(pump, drain))
        .thenApplyAsync(
            drained -> read(process.exitValue(), envFile, env.agent(Map.of()), output), executor);
  }

  /**
   * @param agentEnv what {@code $NAME} in the file expands from: what the agent gets anyway, never
   *     the worker's own environment
   */
  private static Map<String, String> read(
      int code, Path envFile, Map<String, String> agentEnv, TaskLog output) {
    try {
      if (code != 0) {
        throw new CompletionException(
            new TaskFailure(
                FailureReason.SETUP_COMMAND,
                "setup command failed: exit status " + code + ExitStatus.signalNote(code)));
      }
      String text = Files.readString(envFile, StandardCharsets.UTF_8);
      return DotEnv.parse(text, agentEnv::get);
    } catch (IOException e) {
      throw new CompletionException(
          new TaskFailure(
              FailureReason.SETUP_COMMAND,
              null,
              "the environment file of the setup command could not be read: " + e,
              e));
    } catch (DotEnv.InvalidDotEnvException e) {
      throw new CompletionException(
          new TaskFailure(
              FailureReason.SETUP_COMMAND,
              "the setup command wrote an environment file that is not dotenv: " + e.getMessage()));
    } finally {
      try {
        Files.deleteIfExists(envFile);
      } catch (IOException e) {
        output.line("[worker] could not remove the environment file: " + e);
      }
    }
  }

  /**
   * The process groups of the setup commands of run {@code runId} still running, found by the
   * environment every setup gets ({@code OZ_RUN_ID}, {@code OZ_WORKER_BACKEND=direct}).
   */
  static List<Long> groupsOf(String runId) {
    return ProcessHandle.allProcesses()
        .map(ProcessHandle::pid)
        .filter(pid -> isSetupOf(pid, runId))
        .map(SetupCommand::processGroup)
        .flatMap(Optional::stream)
        .distinct()
        .toList();
  }

  /** The process group of {@code pid}, from {@code /proc/<pid>/stat}; empty once it is gone. */
  private static Optional<Long> processGroup(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // after the command name in parentheses: state, parent pid, process group
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Optional.of(Long.parseLong(fields[2]));
    } catch (IOException | RuntimeException gone) {
      return Optional.empty();
    }
  }

  /**
   * Whether process {@code pid} is the setup command of run {@code runId}: its environment names
   * the run, so a reused pid is never taken for it.
   */
  static boolean isSetupOf(long pid, String runId) {
    try {
      byte[] environ = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
      List<String> vars = List.of(new String(environ, StandardCharsets.UTF_8).split("\0"));
      return vars.contains("OZ_RUN_ID=" + runId) && vars.contains("OZ_WORKER_BACKEND=direct");
    } catch (IOException e) {
      return false;
    }
  }
}
