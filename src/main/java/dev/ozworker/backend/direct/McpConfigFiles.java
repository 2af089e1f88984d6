package dev.ozworker.backend.direct;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the MCP server configuration off the agent's command line, where every process of the pod
 * or host reads it in {@code /proc/<pid>/cmdline}: it may hold the servers' env values. The Oz CLI
 * takes {@code --mcp} as inline JSON or as the path of a file holding that JSON; each inline value
 * is written to a file of the run's own (mode 0600, owned by the uid the agent runs as) and the
 * agent is given {@code /dev/fd/N}, a descriptor a small shell opens for it before it execs the
 * agent. The agent reads the file through that descriptor, so it need not reach the run's
 * directory, which only the worker may enter. The argument's place in the command line and every
 * other argument stay as the reference worker resolves them.
 *
 * @param args the CLI's arguments, inline configurations replaced
 * @param opener what runs before the CLI to open the files; empty when there are none
 */
record McpConfigFiles(List<String> args, List<String> opener) {
  static final String FLAG = "--mcp";
  private static final int FIRST_DESCRIPTOR = 4;

  /**
   * Writes each inline {@code --mcp} value of {@code ozArgs} to {@code files}; a run without one
   * keeps its arguments as they are.
   */
  static McpConfigFiles write(List<String> ozArgs, RunFiles files, Optional<RunAs> runAs)
      throws IOException {
    List<String> args = new ArrayList<>(ozArgs);
    List<Path> written = new ArrayList<>();
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).equals(FLAG) && args.get(i + 1).strip().startsWith("{")) {
        Path file = files.mcpConfig(written.size());
        writeOwnerOnly(file, args.get(i + 1));
        if (runAs.isPresent()) {
          runAs.get().own(file);
        }
        args.set(i + 1, "/dev/fd/" + (FIRST_DESCRIPTOR + written.size()));
        written.add(file);
        i++;
      }
    }
    if (written.isEmpty()) {
      return new McpConfigFiles(args, List.of());
    }
    StringBuilder script = new StringBuilder();
    for (int n = 0; n < written.size(); n++) {
      script.append("exec ").append(FIRST_DESCRIPTOR + n).append("<\"$1\" && shift && ");
    }
    script.append("exec \"$@\"");
    List<String> opener = new ArrayList<>(List.of("/bin/sh", "-c", script.toString(), "oz-mcp"));
    written.forEach(file -> opener.add(file.toString()));
    return new McpConfigFiles(args, opener);
  }

  private static void writeOwnerOnly(Path file, String json) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, json, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
  }
}
