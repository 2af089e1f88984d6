package dev.ozworker.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The command-line flags as given, before validation; empty when a flag was not given. Flags win
 * over the config file.
 */
public record Flags(
    Optional<Path> configFile,
    Optional<BackendKind> backend,
    Optional<String> apiKey,
    Optional<String> workerId,
    Optional<String> webSocketUrl,
    Optional<String> serverRootUrl,
    Optional<LogLevel> logLevel,
    Optional<String> targetDir,
    boolean noCleanup,
    List<String> volumes,
    List<String> env,
    Optional<Integer> maxConcurrentTasks,
    Optional<String> idleOnComplete,
    Optional<String> sessionSharingServerUrl,
    Optional<String> namespace,
    Optional<String> shutdownGracePeriod,
    Optional<Integer> httpPort,
    Optional<String> httpAddress,
    Optional<LogFormat> logFormat) {

  public Flags {
    volumes = List.copyOf(volumes);
    env = List.copyOf(env);
  }

  /** No flags at all. */
  public static Flags none() {
    return new Flags(
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        false,
        List.of(),
        List.of(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }
}
