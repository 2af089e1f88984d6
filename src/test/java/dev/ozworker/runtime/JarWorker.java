package dev.ozworker.runtime;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The worker jar's {@code run} as a child process: the JVM options and arguments given, output to a
 * log file, and an environment with nothing of the test JVM's but {@code PATH}: no {@code
 * KUBECONFIG} and a {@code HOME} of its own, so the worker uses its embedded API server.
 */
public final class JarWorker {
  public static final Path JAR = Path.of("target", "oz-worker-operator.jar");

  private JarWorker() {}

  /**
   * {@code java <javaOptions> -jar <jar> run --config-file <config> --web-socket-url <oz> <args>},
   * with {@code HOME} and {@code TMPDIR} under {@code root} and {@code WARP_API_KEY} set.
   */
  public static ProcessBuilder run(
      List<String> javaOptions,
      Path config,
      URI oz,
      List<String> args,
      Path root,
      String apiKey,
      Path log)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(javaOptions);
    command.addAll(
        List.of(
            "-jar",
            JAR.toAbsolutePath().toString(),
            "run",
            "--config-file",
            config.toString(),
            "--web-socket-url",
            oz.toString()));
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.clear();
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    env.put("HOME", Files.createDirectories(root.resolve("home")).toString());
    env.put("TMPDIR", root.toString());
    env.put("WARP_API_KEY", apiKey);
    return builder;
  }
}
