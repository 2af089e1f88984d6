package dev.ozworker.backend.direct;

import dev.ozworker.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the Oz CLI: {@code oz_path} when set (a bare name is looked up on PATH), else {@code oz}.
 */
final class OzCli {
  private OzCli() {}

  static Path locate(Optional<String> configured, Map<String, String> host) throws ConfigException {
    String name = configured.map(String::strip).filter(path -> !path.isEmpty()).orElse("oz");
    if (name.contains("/")) {
      Path path = Path.of(name).toAbsolutePath();
      if (Files.isRegularFile(path) && Files.isExecutable(path)) {
        return path;
      }
      throw new ConfigException(
          "backend.direct.oz_path "
              + name
              + " is not an executable file: install the Oz CLI there"
              + " or fix the path");
    }
    for (String dir : host.getOrDefault("PATH", "").split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name).toAbsolutePath();
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new ConfigException(
        "the Oz CLI ("
            + name
            + ") was not found on PATH: install it or set backend.direct.oz_path");
  }
}
