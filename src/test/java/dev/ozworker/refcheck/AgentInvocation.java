package dev.ozworker.refcheck;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * How a worker started the {@code oz} CLI, as recorded by the stand-in script {@code
 * oz-standin.sh}: the arguments, the environment in the order the process received it, and the
 * working directory.
 */
record AgentInvocation(List<String> args, List<String> env, Path cwd) {
  private static final String STANDIN = "/dev/ozworker/refcheck/oz-standin.sh";

  /**
   * Installs the stand-in as an executable {@code oz} in {@code dir}. Its records appear in {@link
   * #recordsOf(Path) recordsOf(dir)}.
   */
  static Path installStandIn(Path dir) throws IOException {
    Path oz = dir.resolve("oz");
    try (InputStream script = AgentInvocation.class.getResourceAsStream(STANDIN)) {
      if (script == null) {
        throw new IllegalStateException(STANDIN + " is not on the test classpath");
      }
      Files.copy(script, oz);
    }
    Files.setPosixFilePermissions(oz, PosixFilePermissions.fromString("rwx------"));
    return oz;
  }

  /** The complete records of the stand-in installed in {@code dir}, one per invocation. */
  static List<AgentInvocation> recordsOf(Path dir) throws IOException {
    Path records = dir.resolve("records");
    if (!Files.isDirectory(records)) {
      return List.of();
    }
    List<AgentInvocation> invocations = new ArrayList<>();
    try (Stream<Path> entries = Files.list(records)) {
      for (Path record :
          entries.filter(entry -> !entry.getFileName().toString().startsWith(".")).toList()) {
        invocations.add(read(record));
      }
    }
    return invocations;
  }

  private static AgentInvocation read(Path record) throws IOException {
    List<String> args = nulTerminated(Files.readString(record.resolve("argv")));
    List<String> env = nulTerminated(Files.readString(record.resolve("environ")));
    String cwd = Files.readString(record.resolve("cwd"));
    return new AgentInvocation(args, env, Path.of(cwd.substring(0, cwd.length() - 1)));
  }

  /** Splits text made of entries that each end with a NUL; empty entries are kept. */
  private static List<String> nulTerminated(String text) {
    List<String> entries = new ArrayList<>();
    int start = 0;
    for (int end = text.indexOf('\0'); end >= 0; end = text.indexOf('\0', start)) {
      entries.add(text.substring(start, end));
      start = end + 1;
    }
    return List.copyOf(entries);
  }
}
