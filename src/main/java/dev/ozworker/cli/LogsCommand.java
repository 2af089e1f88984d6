package dev.ozworker.cli;

import dev.ozworker.backend.TaskLog;
import dev.ozworker.config.ConfigException;
import dev.ozworker.task.TaskIds;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Prints a task's full log from its per-task log file, as the backend wrote it (secrets masked).
 */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = {
      "Print a task's full output from <task_log_dir>/<run id>.log (the rotated .log.1 first)."
          + " Secret values are already masked in the file.",
      "Run it where the worker that ran the task writes its logs (its pod or host).",
      "Exit status: 0 when printed, 1 when the task has no log here, 2 for a bad configuration."
    })
final class LogsCommand implements Callable<Integer> {
  @ParentCommand OzWorkerCommand worker;
  @Spec CommandSpec spec;

  @Parameters(
      paramLabel = "TASK",
      description =
          "The Oz task id, or the AgentTask's name for a task you applied (its run id:"
              + " status.backendRef.runId).")
  String task;

  @Override
  public Integer call() throws ConfigException, IOException {
    Path dir = worker.resolver.taskLogDir(worker.flags());
    PrintWriter err = spec.commandLine().getErr();
    if (!TaskIds.isSafe(task)) {
      err.println(
          "oz-worker-operator: '"
              + task
              + "' is not a task id or AgentTask name: "
              + TaskIds.problem(task));
      return 1;
    }
    List<Path> files = TaskLog.files(dir, task);
    if (files.isEmpty()) {
      err.println(
          "oz-worker-operator: no log of task "
              + task
              + " in "
              + dir
              + " (looked for "
              + TaskLog.file(dir, task).getFileName()
              + "): give the Oz task id or the run id from status.backendRef.runId, and run this"
              + " where the worker that ran the task keeps task_log_dir");
      err.flush();
      return 1;
    }
    PrintWriter out = spec.commandLine().getOut();
    for (Path file : files) {
      out.print(Files.readString(file, StandardCharsets.UTF_8));
    }
    out.flush();
    return 0;
  }
}
