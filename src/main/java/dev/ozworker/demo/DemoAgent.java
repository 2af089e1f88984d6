package dev.ozworker.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** The demo's stand-in for the Oz CLI: a shell script bundled in the jar, installed to run. */
public final class DemoAgent {
  static final String RESOURCE = "/dev/ozworker/demo/oz-demo-agent.sh";

  private DemoAgent() {}

  /** Writes the script as {@code dir/oz}, executable by its owner only; returns its path. */
  public static Path install(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path oz = dir.resolve("oz");
    try (InputStream script = DemoAgent.class.getResourceAsStream(RESOURCE)) {
      if (script == null) {
        throw new IOException("the demo agent script is missing from the jar: " + RESOURCE);
      }
      Files.write(oz, script.readAllBytes());
    }
    Files.setPosixFilePermissions(oz, PosixFilePermissions.fromString("rwx------"));
    return oz;
  }
}
