package dev.ozworker.backend.direct;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/**
 * What the worker keeps about one run outside its workspace, so that a restarted worker finds the
 * run again: {@code <task_log_dir>/.direct/<runId>/}. The directory is the worker's, never the
 * agent's working directory, and lives beside the run's log.
 *
 * <ul>
 *   <li>{@code run}: the workspace and whether this backend created it (only then is it removed);
 *   <li>{@code making}: the directory being made into the workspace under a name of its own, and
 *       its identity once made (see {@link Workspaces#prepare});
 *   <li>{@code pid}: the agent wrapper's process id, which is also its process group's id;
 *   <li>{@code exit}: the agent's exit status, written by the wrapper when the agent ends;
 *   <li>{@code output}: a FIFO the agent writes to and the worker reads (see {@link AgentProcess});
 *   <li>{@code gitconfig}: the run's global git config in {@code target_dir} mode;
 *   <li>{@code setup-pid}: the setup command's process group, to stop it after a restart;
 *   <li>{@code torn-down}: teardown ran, so a repeated cleanup does not run it again;
 *   <li>{@code mcp-N.json}: the agent's MCP server configurations, off its command line;
 *   <li>{@code masks}: values setup wrote for the agent, masked in the run's log.
 * </ul>
 */
record RunFiles(Path dir) {

  /** The workspace a run uses, and whether this backend made it. */
  record Workspace(Path path, boolean created) {}

  /**
   * A directory being made into a workspace: its own name, and its identity (device and inode) once
   * it exists. The identity survives the move into place, so a restarted worker can tell the
   * directory it made from one of the same name that someone else made.
   */
  record Making(Path staging, Optional<String> identity) {}

  static RunFiles of(Path taskLogDir, String runId) {
    return new RunFiles(taskLogDir.resolve(".direct").resolve(runId));
  }

  Path pid() {
    return dir.resolve("pid");
  }

  Path exit() {
    return dir.resolve("exit");
  }

  /** The process group of the setup command while it runs. */
  Path setupPid() {
    return dir.resolve("setup-pid");
  }

  Path output() {
    return dir.resolve("output");
  }

  /** The {@code n}th MCP server configuration the agent reads (see {@link McpConfigFiles}). */
  Path mcpConfig(int n) {
    return dir.resolve("mcp-" + n + ".json");
  }

  /** Values a setup command wrote for the agent, kept to mask the output after a restart. */
  Path masks() {
    return dir.resolve("masks");
  }

  /** Records {@code values} to mask, one per line in base64: the values may span lines. */
  void recordMasks(java.util.Collection<String> values) throws IOException {
    StringBuilder text = new StringBuilder();
    values.forEach(
        value ->
            text.append(
                    java.util.Base64.getEncoder()
                        .encodeToString(value.getBytes(StandardCharsets.UTF_8)))
                .append('\n'));
    write(masks(), text.toString());
  }

  /** The values {@link #recordMasks} recorded; none when setup wrote none. */
  List<String> masksRecorded() {
    return read(masks()).stream()
        .flatMap(text -> text.lines())
        .filter(line -> !line.isBlank())
        .map(
            line ->
                new String(
                    java.util.Base64.getDecoder().decode(line.strip()), StandardCharsets.UTF_8))
        .toList();
  }

  Path gitConfig() {
    return dir.resolve("gitconfig");
  }

  /** The run's global git config: in its own workspace, else (shared target_dir) here. */
  Path gitConfigFor(Workspace workspace) {
    return workspace.created() ? workspace.path().resolve(".gitconfig") : gitConfig();
  }

  Path tornDown() {
    return dir.resolve("torn-down");
  }

  private Path record() {
    return dir.resolve("run");
  }

  private Path makingFile() {
    return dir.resolve("making");
  }

  void recordMaking(Making making) throws IOException {
    write(
        makingFile(), making.staging() + "\n" + making.identity().map(id -> id + "\n").orElse(""));
  }

  /** The workspace being made, if the run was killed while its workspace was being made. */
  Optional<Making> making() {
    return read(makingFile())
        .map(text -> text.split("\n"))
        .filter(lines -> lines.length >= 1 && !lines[0].isBlank())
        .map(
            lines ->
                new Making(
                    Path.of(lines[0]),
                    lines.length > 1 ? Optional.of(lines[1]) : Optional.empty()));
  }

  void forgetMaking() throws IOException {
    Files.deleteIfExists(makingFile());
  }

  /** Starts afresh: whatever an earlier run of the same id left is removed. */
  void create() throws IOException {
    delete();
    Files.createDirectories(
        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  /**
   * Where the identity of a workspace kept after its run (cleanup off) is recorded: beside the
   * runs' files, so it outlives them and a later execution of the same run may use the workspace
   * again, as the directory this backend made and no other.
   */
  Path keptRecord() {
    return dir.getParent().resolveSibling(".direct-kept").resolve(dir.getFileName());
  }

  void recordKept(String identity) throws IOException {
    Files.createDirectories(
        keptRecord().getParent(),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    write(keptRecord(), identity + "\n");
  }

  /** The identity of the workspace kept after an earlier execution of this run, if any. */
  Optional<String> kept() {
    return read(keptRecord()).map(String::strip).filter(text -> !text.isEmpty());
  }

  void forgetKept() throws IOException {
    Files.deleteIfExists(keptRecord());
  }

  void recordWorkspace(Workspace workspace) throws IOException {
    write(record(), workspace.created() + "\n" + workspace.path() + "\n");
  }

  /** The recorded workspace; empty when the run never got one. */
  Optional<Workspace> workspace() {
    return read(record())
        .map(text -> List.of(text.split("\n", 2)))
        .filter(lines -> lines.size() == 2)
        .map(
            lines ->
                new Workspace(Path.of(lines.get(1).strip()), Boolean.parseBoolean(lines.get(0))));
  }

  Optional<Long> processId() {
    return read(pid()).flatMap(RunFiles::number);
  }

  Optional<Long> setupProcessId() {
    return read(setupPid()).flatMap(RunFiles::number);
  }

  void recordSetup(long pid) throws IOException {
    write(setupPid(), pid + "\n");
  }

  Optional<Integer> exitStatus() {
    return read(exit()).flatMap(RunFiles::number).map(Long::intValue);
  }

  void markTornDown() throws IOException {
    write(tornDown(), "");
  }

  boolean isTornDown() {
    return Files.exists(tornDown());
  }

  /** Removes everything kept about the run. */
  void delete() throws IOException {
    deleteTree(dir);
  }

  /** Deletes a tree without following symbolic links out of it. */
  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path directory, IOException e)
              throws IOException {
            if (e != null) {
              throw e;
            }
            Files.deleteIfExists(directory);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static void write(Path file, String text) throws IOException {
    Path partial = file.resolveSibling("." + file.getFileName());
    Files.writeString(partial, text, StandardCharsets.UTF_8);
    Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static Optional<String> read(Path file) {
    try {
      return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * The number on the file's one line; nothing while the line is not complete (its writer, the
   * wrapper's {@code printf}, has opened the file and not yet written it).
   */
  private static Optional<Long> number(String text) {
    if (!text.endsWith("\n")) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(text.strip()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
