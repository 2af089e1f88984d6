package dev.ozworker.backend.kubernetes;

import dev.ozworker.backend.docker.DockerEngine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A sidecar image the Kubernetes backend can copy into a Pod: its copying init container runs
 * {@code /bin/sh -c "tar --exclude=… | tar -x …"}, which busybox's tar cannot run (it has no {@code
 * --exclude} with a pattern list and no {@code --no-same-permissions}), so the image holds the
 * host's GNU tar with the shared libraries it links, beside a static busybox shell. At its root, as
 * an agent sidecar has, {@code entrypoint.sh} says it ran from the sidecar and runs {@code
 * $AGENT_DOES}; a random {@code nonce} makes each image distinct.
 */
final class CopyingSidecarImage {
  static final String REPOSITORY = "ozworker-test/copying-sidecar";

  /**
   * GNU tar, dash and what they link, as Debian's {@code ldd /bin/tar /bin/dash} lists them on this
   * machine.
   */
  private static final List<String> HOST_FILES =
      List.of(
          "/bin/tar",
          "/lib/x86_64-linux-gnu/libacl.so.1",
          "/lib/x86_64-linux-gnu/libselinux.so.1",
          "/lib/x86_64-linux-gnu/libc.so.6",
          "/lib/x86_64-linux-gnu/libpcre2-8.so.0",
          "/lib64/ld-linux-x86-64.so.2");

  private CopyingSidecarImage() {}

  /**
   * Imports a fresh image into the engine.
   *
   * @return its reference and its nonce
   */
  static Imported importInto(DockerEngine docker) throws IOException {
    String nonce = UUID.randomUUID().toString();
    String entrypoint =
        """
        #!/bin/sh
        echo "sidecar: entrypoint from the copied sidecar $(cat /agent/nonce)"
        eval "$AGENT_DOES"
        """;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (String directory : List.of("bin/", "tmp/", "lib/", "lib/x86_64-linux-gnu/", "lib64/")) {
        TarArchiveEntry entry = new TarArchiveEntry(directory);
        entry.setMode(040755);
        tar.putArchiveEntry(entry);
        tar.closeArchiveEntry();
      }
      file(tar, "bin/busybox", Files.readAllBytes(Path.of("/bin/busybox")), 0755);
      file(tar, "bin/sh", Files.readAllBytes(Path.of("/bin/dash")), 0755);
      for (String applet : List.of("cat", "echo", "ls")) {
        TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
        link.setLinkName("busybox");
        tar.putArchiveEntry(link);
        tar.closeArchiveEntry();
      }
      for (String path : HOST_FILES) {
        // Files.readAllBytes follows the soname's symlink to the library itself
        file(tar, path.substring(1), Files.readAllBytes(Path.of(path)), 0755);
      }
      file(tar, "entrypoint.sh", entrypoint.getBytes(StandardCharsets.UTF_8), 0755);
      file(tar, "nonce", nonce.getBytes(StandardCharsets.UTF_8), 0644);
    }
    String tag = nonce.substring(0, 8);
    docker.importImage(REPOSITORY + ":" + tag, bytes.toByteArray(), List.of());
    return new Imported(REPOSITORY + ":" + tag, nonce);
  }

  /** An imported image: its reference and the nonce its {@code /nonce} holds. */
  record Imported(String reference, String nonce) {}

  private static void file(TarArchiveOutputStream tar, String name, byte[] content, int mode)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(mode);
    entry.setSize(content.length);
    tar.putArchiveEntry(entry);
    tar.write(content);
    tar.closeArchiveEntry();
  }
}
