package dev.ozworker.cli;

import dev.ozworker.config.ConfigException;
import dev.ozworker.config.EffectiveConfig;
import dev.ozworker.config.WorkerConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Validates the configuration and prints it as the worker would use it, secrets hidden. */
@Command(
    name = "check-config",
    mixinStandardHelpOptions = true,
    description = {
      "Validate the config file and flags, then print the effective configuration with every"
          + " default filled in. The API key and environment values are never printed.",
      "Exit status: 0 when valid, 2 when not (each problem names its key or flag and the fix)."
    })
final class CheckConfigCommand implements Callable<Integer> {
  @ParentCommand OzWorkerCommand worker;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws ConfigException {
    WorkerConfig config = worker.resolver.resolve(worker.flags());
    spec.commandLine().getOut().print(EffectiveConfig.toYaml(config));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
