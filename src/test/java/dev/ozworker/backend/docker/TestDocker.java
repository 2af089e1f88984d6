package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The Docker engine of the machine running the tests, and a busybox image made on it with {@code
 * docker import} of a rootfs tarball around the host's static busybox: no registry is needed.
 */
public final class TestDocker implements AutoCloseable {
  static final Path BUSYBOX = Path.of("/bin/busybox");
  private static final String REPOSITORY = "ozworker-test/busybox";
  private static final String SIDECAR_REPOSITORY = "ozworker-test/agent-sidecar";
  private static final List<String> APPLETS = List.of("sh", "echo", "cat", "env", "sleep", "true");

  final DockerClient client;

  /** The engine's client, for what a test inspects beyond the helpers here. */
  public DockerClient client() {
    return client;
  }

  private final DockerEngine engine;

  private TestDocker(DockerEngine engine) {
    this.engine = engine;
    this.client = engine.client();
  }

  /**
   * The engine configured by the environment (DOCKER_HOST etc.), connected as the Docker backend
   * connects to it.
   */
  public static TestDocker connect() {
    return new TestDocker(DockerEngine.fromEnvironment());
  }

  /**
   * The reference of the busybox image, imported once per busybox binary (the tag is its digest) so
   * that repeated runs reuse it.
   */
  public String busyboxImage() throws IOException {
    if (!Files.isExecutable(BUSYBOX)) {
      throw new IllegalStateException(
          BUSYBOX + " is missing: install busybox-static (.ci/run does)");
    }
    byte[] binary = Files.readAllBytes(BUSYBOX);
    String tag = sha256(binary).substring(0, 12);
    String reference = REPOSITORY + ":" + tag;
    try {
      client.inspectImageCmd(reference).exec();
    } catch (NotFoundException absent) {
      importImage(REPOSITORY, rootfs(binary), tag);
    }
    return reference;
  }

  private void importImage(String repository, byte[] rootfs, String tag) throws IOException {
    engine.importImage(repository + ":" + tag, rootfs, List.of());
  }

  /**
   * A fresh busybox image whose {@code /agent/entrypoint.sh} is {@code entrypoint}: a task image
   * that runs without an agent sidecar (nothing is mounted over {@code /agent}), and the same image
   * a plain {@code docker run} can start.
   *
   * @return the image's reference; remove it by {@link #removeImage}
   */
  public String busyboxWithEntrypoint(String entrypoint) throws IOException {
    byte[] rootfs =
        rootfs(
            Files.readAllBytes(BUSYBOX),
            tar -> {
              directory(tar, "agent/", 0755);
              file(tar, "agent/entrypoint.sh", entrypoint.getBytes(StandardCharsets.UTF_8), 0755);
            });
    String tag = java.util.UUID.randomUUID().toString().substring(0, 8);
    importImage(REPOSITORY, rootfs, tag);
    return REPOSITORY + ":" + tag;
  }

  /** More entries of a rootfs tarball. */
  private interface TarEntries {
    void write(TarArchiveOutputStream tar) throws IOException;
  }

  private static byte[] rootfs(byte[] busybox) throws IOException {
    return rootfs(busybox, tar -> {});
  }

  private static byte[] rootfs(byte[] busybox, TarEntries more) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      more.write(tar);
      directory(tar, "bin/", 0755);
      directory(tar, "tmp/", 01777);
      TarArchiveEntry binary = new TarArchiveEntry("bin/busybox");
      binary.setMode(0755);
      binary.setSize(busybox.length);
      tar.putArchiveEntry(binary);
      tar.write(busybox);
      tar.closeArchiveEntry();
      for (String applet : APPLETS) {
        TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
        link.setLinkName("busybox");
        tar.putArchiveEntry(link);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static void directory(TarArchiveOutputStream tar, String name, int mode)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(040000 | mode);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A fresh agent sidecar image: its root holds {@code entrypoint.sh}, which prints each argument
   * as {@code arg[N]=value}, its environment in the order it was passed as {@code env:NAME=value},
   * and its working directory, then runs the shell code in {@code $AGENT_DOES} (if set) as the
   * agent. A random file makes each image distinct, so its volume is this test's own.
   *
   * @return the image's reference; remove it by {@link #removeImage}
   */
  public String agentSidecarImage() throws IOException {
    String script =
        """
        #!/bin/sh
        i=0
        for arg in "$@"; do i=$((i+1)); echo "arg[$i]=$arg"; done
        /bin/busybox tr '\\0' '\\n' < /proc/1/environ | /bin/busybox sed 's/^/env:/'
        echo "cwd=$(pwd)"
        if [ -n "$AGENT_DOES" ]; then eval "$AGENT_DOES"; fi
        """;
    String nonce = java.util.UUID.randomUUID().toString();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      file(tar, "entrypoint.sh", script.getBytes(StandardCharsets.UTF_8), 0755);
      file(tar, "nonce", nonce.getBytes(StandardCharsets.UTF_8), 0644);
    }
    String tag = nonce.substring(0, 8);
    importImage(SIDECAR_REPOSITORY, bytes.toByteArray(), tag);
    return SIDECAR_REPOSITORY + ":" + tag;
  }

  /** The shared volume the Docker backend copies the sidecar {@code image} (on the engine) into. */
  public String sidecarVolumeOf(String image) {
    return SidecarVolumes.volumeName(
        image, SidecarVolumes.digestOf(client.inspectImageCmd(image).exec()));
  }

  /** Removes the sidecar volumes the Docker backend filled from {@code image}, found by label. */
  public void removeSidecarVolumes(String image) {
    List<InspectVolumeResponse> volumes =
        client
            .listVolumesCmd()
            .withFilter("label", List.of(DockerLabels.SIDECAR_IMAGE + "=" + image))
            .exec()
            .getVolumes();
    for (InspectVolumeResponse volume :
        volumes == null ? List.<InspectVolumeResponse>of() : volumes) {
      client.removeVolumeCmd(volume.getName()).exec();
    }
  }

  /** Removes an image this test made, by its reference. */
  public void removeImage(String reference) {
    try {
      client.removeImageCmd(reference).withForce(true).exec();
    } catch (NotFoundException gone) {
      // already removed
    }
  }

  private static void file(TarArchiveOutputStream tar, String name, byte[] content, int mode)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(mode);
    entry.setSize(content.length);
    tar.putArchiveEntry(entry);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  @Override
  public void close() {
    engine.close();
  }
}
