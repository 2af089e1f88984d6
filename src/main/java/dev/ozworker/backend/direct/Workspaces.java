package dev.ozworker.backend.direct;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.task.TaskIds;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Where runs work: each in its own directory {@code <workspace_root>/<runId>}, mode 0700, or all in
 * one shared {@code target_dir}. A workspace is only ever removed when this backend created it for
 * the run; an existing directory of the same name is refused rather than adopted, so nothing in
 * {@code workspace_root} that the worker did not make is ever used or deleted.
 */
final class Workspaces {
  private final Path root;
  private final Optional<Path> targetDir;

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

  /** Makes the run's workspace (or checks the shared one); the run id must be valid. */
  RunFiles.Workspace prepare(String runId) throws TaskFailure {
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
      return new RunFiles.Workspace(targetDir.get(), false);
    }
    Path workspace = root.resolve(runId);
    try {
      Files.createDirectories(root);
      Files.createDirectory(
          workspace,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.setPosixFilePermissions(workspace, PosixFilePermissions.fromString("rwx------"));
      return new RunFiles.Workspace(workspace, true);
    } catch (FileAlreadyExistsException e) {
      throw new TaskFailure(
          FailureReason.WORKSPACE_SETUP,
          "workspace "
              + workspace
              + " already exists and was not made for this run, so it is left alone: remove it"
              + " to run the task");
    } catch (IOException e) {
      throw new TaskFailure(
          FailureReason.WORKSPACE_SETUP,
          null,
          "failed to create workspace directory " + workspace + ": " + e,
          e);
    }
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
