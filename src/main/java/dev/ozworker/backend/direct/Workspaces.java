package dev.ozworker.backend.direct;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.task.TaskIds;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where runs work: each in its own directory {@code <workspace_root>/<runId>}, mode 0700, or all in
 * one shared {@code target_dir}. A workspace is only ever removed when this backend created it for
 * the run; an existing directory of the same name is refused rather than adopted, so nothing in
 * {@code workspace_root} that the worker did not make is ever used or deleted, also when the worker
 * is killed while it makes one (see {@link #prepare}). The one exception is a workspace kept after
 * an earlier execution of the same run (cleanup off): recorded by its identity ({@link #keep}), it
 * is used again by the next execution, as the reference worker does.
 */
final class Workspaces {
  /** How the name of a directory being made into a workspace begins. */
  static final String STAGING_PREFIX = ".oz-making-";

  private static final Logger log = LoggerFactory.getLogger(Workspaces.class);
  private static final FileAttribute<?> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private final Path root;
  private final Optional<Path> targetDir;
  private final RandomGenerator random = new SecureRandom();

  Workspaces(Path root, Optional<Path> targetDir) {
    this.root = root.toAbsolutePath().normalize();
    this.targetDir = targetDir.map(dir -> dir.toAbsolutePath().normalize());
  }

  /** Whether runs share {@code target_dir}. */
  boolean shared() {
    return targetDir.isPresent();
  }

  /** Why {@code runId} cannot name a workspace, as a {@code workspace_setup} failure. */
  static Optional<TaskFailure> invalid(String runId) {
    String problem = TaskIds.problem(runId);
    return problem == null
        ? Optional.empty()
        : Optional.of(
            new TaskFailure(
                FailureReason.WORKSPACE_SETUP,
                "invalid task id for a workspace path: the id " + problem));
  }

  /**
   * Makes the run's workspace (or checks the shared one) and records it in {@code files}; the run
   * id must be valid. A worker killed at any step leaves a record of what it made, so that its
   * successor ({@link #settle}) removes exactly that: the directory is recorded under a name of its
   * own before it is made, its identity once it exists, and only then is it moved into place and
   * recorded as the workspace.
   */
  RunFiles.Workspace prepare(String runId, RunFiles files) throws TaskFailure {
    Optional<TaskFailure> invalid = invalid(runId);
    if (invalid.isPresent()) {
      throw invalid.get();
    }
    if (targetDir.isPresent()) {
      if (!Files.isDirectory(targetDir.get())) {
        throw new TaskFailure(
            FailureReason.WORKSPACE_SETUP,
            "target_dir " + targetDir.get() + " is not a directory: create it or fix the setting");
      }
      return record(files, new RunFiles.Workspace(targetDir.get(), false));
    }
    Path workspace = root.resolve(runId);
    Path staging = root.resolve(STAGING_PREFIX + HexFormat.of().toHexDigits(random.nextLong()));
    try {
      Files.createDirectories(root);
      if (Files.exists(workspace, LinkOption.NOFOLLOW_LINKS)) {
        if (!keptForThisRun(workspace, files)) {
          throw alreadyExists(workspace);
        }
        // A follow-up execution of a run whose workspace was kept: used again, contents and all,
        // as the reference worker does.
        log.info("using workspace {} again, kept from an earlier execution of the run", workspace);
        RunFiles.Workspace reused = record(files, new RunFiles.Workspace(workspace, true));
        files.forgetKept();
        return reused;
      }
      files.recordMaking(new RunFiles.Making(staging, Optional.empty()));
      Files.createDirectory(staging, OWNER_ONLY);
      Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwx------"));
      files.recordMaking(new RunFiles.Making(staging, Optional.of(identity(staging))));
      try {
        // Without REPLACE_EXISTING: a directory of that name made meanwhile is never replaced.
        Files.move(staging, workspace);
      } catch (FileAlreadyExistsException e) {
        // Its identity forgotten first: a successor must not take the other directory for it.
        files.recordMaking(new RunFiles.Making(staging, Optional.empty()));
        RunFiles.deleteTree(staging);
        files.forgetMaking();
        throw alreadyExists(workspace);
      }
      RunFiles.Workspace made = record(files, new RunFiles.Workspace(workspace, true));
      files.forgetMaking();
      return made;
    } catch (IOException e) {
      throw new TaskFailure(
          FailureReason.WORKSPACE_SETUP,
          null,
          "failed to create workspace directory " + workspace + ": " + e,
          e);
    }
  }

  /**
   * Finishes what a worker killed while making a workspace left: a directory still under its own
   * name is removed; one moved into place but not yet recorded is recorded as the run's workspace
   * when it is the very directory made (same device and inode), and left alone otherwise. Returns
   * the run's workspace, if it has one.
   */
  Optional<RunFiles.Workspace> settle(String runId, RunFiles files) throws IOException {
    Optional<RunFiles.Workspace> recorded = files.workspace();
    Optional<RunFiles.Making> making = files.making();
    if (recorded.isPresent() || making.isEmpty()) {
      making.ifPresent(ignored -> forget(files));
      return recorded;
    }
    Path staging = making.get().staging();
    Path workspace = root.resolve(runId);
    if (root.equals(staging.getParent())
        && staging.getFileName().toString().startsWith(STAGING_PREFIX)
        && Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
      log.info(
          "run {}: removing {}, made for its workspace before the worker stopped", runId, staging);
      RunFiles.deleteTree(staging);
    } else if (making.get().identity().isPresent()
        && Files.isDirectory(workspace, LinkOption.NOFOLLOW_LINKS)
        && making.get().identity().get().equals(identity(workspace))) {
      recorded = Optional.of(new RunFiles.Workspace(workspace, true));
      files.recordWorkspace(recorded.get());
    }
    files.forgetMaking();
    return recorded;
  }

  private static void forget(RunFiles files) {
    try {
      files.forgetMaking();
    } catch (IOException e) {
      log.warn("cannot remove {}: {}", files.dir(), e.toString());
    }
  }

  private static RunFiles.Workspace record(RunFiles files, RunFiles.Workspace workspace)
      throws TaskFailure {
    try {
      files.recordWorkspace(workspace);
      return workspace;
    } catch (IOException e) {
      throw new TaskFailure(
          FailureReason.WORKSPACE_SETUP,
          null,
          "cannot record the workspace in " + files.dir() + ": " + e,
          e);
    }
  }

  private static TaskFailure alreadyExists(Path workspace) {
    return new TaskFailure(
        FailureReason.WORKSPACE_SETUP,
        "workspace "
            + workspace
            + " already exists and was not made for this run, so it is left alone: remove it"
            + " to run the task");
  }

  /**
   * Records that the run's workspace stays after the run (cleanup is off), so that a later
   * execution of the same run uses it again rather than refusing it as someone else's.
   */
  static void keep(RunFiles.Workspace workspace, RunFiles files) throws IOException {
    if (workspace.created() && Files.isDirectory(workspace.path(), LinkOption.NOFOLLOW_LINKS)) {
      files.recordKept(keptIdentity(workspace.path()));
    }
  }

  /** Whether {@code workspace} is the very directory kept after an earlier execution of the run. */
  private static boolean keptForThisRun(Path workspace, RunFiles files) throws IOException {
    Optional<String> kept = files.kept();
    return kept.isPresent()
        && Files.isDirectory(workspace, LinkOption.NOFOLLOW_LINKS)
        && kept.get().equals(keptIdentity(workspace));
  }

  /**
   * Device, inode and birth time: a directory removed and made again between two executions may get
   * the inode back, never the birth time.
   */
  private static String keptIdentity(Path directory) throws IOException {
    return identity(directory)
        + " "
        + Files.readAttributes(directory, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
            .creationTime();
  }

  /** Device and inode: the same across a rename, different for any other directory. */
  private static String identity(Path directory) throws IOException {
    Object key =
        Files.readAttributes(directory, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
            .fileKey();
    if (key == null) {
      throw new IOException("the file system tells no identity of " + directory);
    }
    return key.toString();
  }

  /** Removes a workspace this backend created; refuses anything not directly under the root. */
  void remove(RunFiles.Workspace workspace) throws IOException {
    Path path = workspace.path().toAbsolutePath().normalize();
    if (!workspace.created() || !root.equals(path.getParent())) {
      return;
    }
    RunFiles.deleteTree(path);
  }
}
