package dev.ozworker;

import dev.ozworker.cli.OzWorkerCommand;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.WorkerConfigResolver;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;

/** Entry point: parses the command line and runs the chosen command. */
public final class Main {
  /** Exit status for an invalid command line or configuration, as picocli uses it. */
  public static final int USAGE_ERROR = 2;

  private Main() {}

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(execute(args, System.getenv(), Path.of("").toAbsolutePath(), out, err));
  }

  /** Runs the command line {@code args} in the given environment; returns the exit status. */
  public static int execute(
      String[] args,
      Map<String, String> env,
      Path workingDirectory,
      PrintWriter out,
      PrintWriter err) {
    OzWorkerCommand command =
        new OzWorkerCommand(new WorkerConfigResolver(env, workingDirectory), env);
    CommandLine commandLine =
        command
            .commandLine(args)
            .setOut(out)
            .setErr(err)
            .setExecutionExceptionHandler(
                (exception, failed, parseResult) -> {
                  if (exception instanceof ConfigException invalid) {
                    failed
                        .getErr()
                        .println(
                            "oz-worker-operator: invalid configuration: " + invalid.getMessage());
                    return USAGE_ERROR;
                  }
                  throw exception;
                })
            .setExecutionStrategy(
                parsed -> {
                  command.configureLogging();
                  return new CommandLine.RunLast().execute(parsed);
                });
    return commandLine.execute(args);
  }
}
