package dev.ozworker.fault;

import dev.ozworker.Command;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The task image of the fault suite, made by {@code docker import} of a rootfs around the host's
 * static busybox (no registry), on whichever engine {@code dockerHost} names: the shared one or a
 * private dockerd. Its {@code /agent/entrypoint.sh} is the stand-in agent: it appends a line to
 * {@code /records/$TASK_ID/starts} (a bind mount of the test's directory) so that every start is
 * counted, waits while {@code $GATE} names a file that does not exist yet, then exits with {@code
 * $EXIT_CODE} (0 by default).
 */
record FaultImage(String dockerHost, String reference) {
  static final Path BUSYBOX = Path.of("/bin/busybox");
  private static final List<String> APPLETS = List.of("sh", "sleep", "mkdir", "echo", "cat");

  static final String ENTRYPOINT =
      """
      #!/bin/sh
      dir="/records/$TASK_ID"
      mkdir -p "$dir"
      echo start >>"$dir/starts"
      if [ -n "${GATE:-}" ]; then
        while [ ! -e "/records/$GATE" ]; do sleep 0.05; done
      fi
      exit "${EXIT_CODE:-0}"
      """;

  /** Imports a fresh image into the engine at {@code dockerHost} ({@code unix://...}). */
  static FaultImage importInto(String dockerHost) throws IOException, InterruptedException {
    String reference = "ozworker-fault/agent:" + UUID.randomUUID().toString().substring(0, 8);
    Path tarball = Files.createTempFile("fault-rootfs", ".tar");
    try {
      Files.write(tarball, rootfs());
      Docker.run(dockerHost, "import", tarball.toString(), reference);
    } finally {
      Files.deleteIfExists(tarball);
    }
    return new FaultImage(dockerHost, reference);
  }

  /** Removes the image again. */
  void remove() throws IOException, InterruptedException {
    Docker.runQuietly(dockerHost, "rmi", "--force", reference);
  }

  private static byte[] rootfs() throws IOException {
    byte[] busybox = Files.readAllBytes(BUSYBOX);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      directory(tar, "agent/");
      directory(tar, "bin/");
      directory(tar, "records/");
      directory(tar, "tmp/");
      file(tar, "agent/entrypoint.sh", ENTRYPOINT.getBytes(StandardCharsets.UTF_8));
      file(tar, "bin/busybox", busybox);
      for (String applet : APPLETS) {
        TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
        link.setLinkName("busybox");
        tar.putArchiveEntry(link);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(040755);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private static void file(TarArchiveOutputStream tar, String name, byte[] content)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(0755);
    entry.setSize(content.length);
    tar.putArchiveEntry(entry);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  /** The docker CLI against one engine. */
  static final class Docker {
    private Docker() {}

    /** Runs {@code docker -H host args...}; fails with its output unless it exits 0. */
    static List<String> run(String host, String... args) throws IOException, InterruptedException {
      Command docker = exec(host, args);
      if (docker.status() != 0) {
        throw new IOException(
            "docker " + String.join(" ", args) + ": " + docker.out() + docker.err());
      }
      return docker.lines();
    }

    static void runQuietly(String host, String... args) throws IOException, InterruptedException {
      exec(host, args);
    }

    private static Command exec(String host, String... args)
        throws IOException, InterruptedException {
      return Command.run(
          Duration.ofSeconds(120),
          Stream.concat(Stream.of("docker", "-H", host), Stream.of(args)).toArray(String[]::new));
    }
  }
}
