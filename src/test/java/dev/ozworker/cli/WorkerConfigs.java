package dev.ozworker.cli;

import dev.ozworker.config.ConfigException;
import dev.ozworker.config.ConfigFile;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.config.WorkerConfigResolver;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;

/** Worker configurations built the way the command line builds them: file text plus flags. */
public final class WorkerConfigs {
  private WorkerConfigs() {}

  /**
   * @param yaml the config file's text
   * @param env the worker's environment (API key, inherited variables); the working directory is
   *     /srv/worker
   * @param args the command-line flags
   */
  public static WorkerConfig resolve(String yaml, Map<String, String> env, String... args)
      throws ConfigException {
    OzWorkerCommand command =
        new OzWorkerCommand(new WorkerConfigResolver(env, Path.of("/srv/worker")));
    new CommandLine(command).parseArgs(args);
    return command.resolver.resolve(ConfigFile.parse(yaml, "worker.yaml", env), command.flags());
  }
}
