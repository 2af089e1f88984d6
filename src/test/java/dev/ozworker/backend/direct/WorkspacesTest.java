package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ozworker.backend.TaskFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a worker killed while it makes a workspace leaves, and what its successor does with it: each
 * state is the one a kill after that step leaves on disk (FaultWorkspaceKillIT kills a real worker
 * at those steps).
 */
class WorkspacesTest {
  @TempDir Path dir;
  Path root;
  Workspaces workspaces;
  RunFiles files;

  @BeforeEach
  void setUp() throws Exception {
    root = dir.resolve("workspaces");
    workspaces = new Workspaces(root, Optional.empty());
    files = RunFiles.of(dir.resolve("logs"), "run-1");
    files.create();
  }

  @Test
  void aWorkspaceMadeInFullIsRecordedAndNothingElseIsLeftInTheRoot() throws Exception {
    RunFiles.Workspace made = workspaces.prepare("run-1", files);

    assertThat(made).isEqualTo(new RunFiles.Workspace(root.resolve("run-1"), true));
    assertThat(files.workspace()).contains(made);
    assertThat(files.making()).isEmpty();
    assertThat(entries(root)).containsExactly("run-1");
  }

  @Test
  void aDirectoryStillUnderItsOwnNameIsRemoved() throws Exception {
    Path staging = root.resolve(Workspaces.STAGING_PREFIX + "abc");
    Files.createDirectories(staging);
    files.recordMaking(new RunFiles.Making(staging, Optional.empty()));

    assertThat(workspaces.settle("run-1", files)).isEmpty();

    assertThat(entries(root)).isEmpty();
    assertThat(files.making()).isEmpty();
  }

  @Test
  void theVeryDirectoryMovedIntoPlaceBeforeItWasRecordedBecomesTheWorkspace() throws Exception {
    Path staging = root.resolve(Workspaces.STAGING_PREFIX + "abc");
    Files.createDirectories(staging);
    String identity =
        Files.readAttributes(staging, java.nio.file.attribute.BasicFileAttributes.class)
            .fileKey()
            .toString();
    files.recordMaking(new RunFiles.Making(staging, Optional.of(identity)));
    Files.move(staging, root.resolve("run-1"));

    assertThat(workspaces.settle("run-1", files))
        .contains(new RunFiles.Workspace(root.resolve("run-1"), true));
    assertThat(files.workspace()).isPresent();
  }

  @Test
  void aDirectoryOfTheRunsNameThatTheWorkerDidNotMakeIsNeverTaken() throws Exception {
    // made by someone else while the worker's own directory existed: another inode
    Path someoneElses = Files.createDirectories(root.resolve("run-1"));
    Path staging = root.resolve(Workspaces.STAGING_PREFIX + "abc");
    Files.createDirectories(staging);
    String identity =
        Files.readAttributes(staging, java.nio.file.attribute.BasicFileAttributes.class)
            .fileKey()
            .toString();
    files.recordMaking(new RunFiles.Making(staging, Optional.of(identity)));
    Files.delete(staging);

    assertThat(workspaces.settle("run-1", files)).isEmpty();

    assertThat(someoneElses).exists();
    assertThat(files.workspace()).isEmpty();
  }

  @Test
  void anExistingDirectoryOfTheRunsNameIsRefusedAndNothingIsMade() throws Exception {
    Files.createDirectories(root.resolve("run-1"));

    assertThatThrownBy(() -> workspaces.prepare("run-1", files))
        .isInstanceOf(TaskFailure.class)
        .hasMessageContaining("already exists and was not made for this run");

    assertThat(entries(root)).containsExactly("run-1");
    assertThat(files.making()).isEmpty();
  }

  static java.util.List<String> entries(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return java.util.List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
