package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The Docker engine of the machine running the tests, and a busybox image made on it from the
 * host's static busybox: no registry is needed. The image is loaded as a {@code docker save}
 * archive, because docker-java's import sends its stream JSON-encoded (docker-java issue 2377).
 */
final class TestDocker {
  static final Path BUSYBOX = Path.of("/bin/busybox");
  private static final List<String> APPLETS = List.of("sh", "echo", "cat", "env", "sleep", "true");

  private TestDocker() {}

  /** A client configured from the environment (DOCKER_HOST etc.), checked with a ping. */
  static DockerClient connect() {
    DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
    DockerClient docker =
        DockerClientImpl.getInstance(
            config,
            new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(Duration.ofSeconds(5))
                .responseTimeout(Duration.ofSeconds(60))
                .build());
    try {
      docker.pingCmd().exec();
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "no Docker engine answers at "
              + config.getDockerHost()
              + ": start dockerd (.ci/run does) or set DOCKER_HOST",
          e);
    }
    return docker;
  }

  /**
   * The reference of a busybox image, imported once per busybox binary (the tag is its digest) so
   * repeated runs reuse it.
   */
  static String busyboxImage(DockerClient docker) throws IOException {
    if (!Files.isExecutable(BUSYBOX)) {
      throw new IllegalStateException(
          BUSYBOX + " is missing: install busybox-static (.ci/run does)");
    }
    byte[] binary = Files.readAllBytes(BUSYBOX);
    String tag = sha256(binary).substring(0, 12);
    String repository = "ozworker-test/busybox";
    String reference = repository + ":" + tag;
    try {
      docker.inspectImageCmd(reference).exec();
    } catch (NotFoundException absent) {
      docker.loadImageCmd(new ByteArrayInputStream(savedImage(reference, rootfs(binary)))).exec();
    }
    return reference;
  }

  /** A {@code docker save} archive of a one-layer image tagged {@code reference}. */
  private static byte[] savedImage(String reference, byte[] layer) throws IOException {
    String config =
        """
        {"architecture":"%s","os":"linux","config":{"Env":["PATH=/bin"]},
         "rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}
        """
            .formatted(dockerArchitecture(), sha256(layer));
    String manifest =
        """
        [{"Config":"config.json","RepoTags":["%s"],"Layers":["layer/layer.tar"]}]
        """
            .formatted(reference);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      directory(tar, "layer/", 0755);
      file(tar, "layer/layer.tar", layer, 0644);
      file(tar, "config.json", config.getBytes(StandardCharsets.UTF_8), 0644);
      file(tar, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8), 0644);
    }
    return bytes.toByteArray();
  }

  private static String dockerArchitecture() {
    String arch = System.getProperty("os.arch");
    return switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> arch;
    };
  }

  private static byte[] rootfs(byte[] busybox) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      directory(tar, "bin/", 0755);
      directory(tar, "tmp/", 01777);
      file(tar, "bin/busybox", busybox, 0755);
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

  private static void file(TarArchiveOutputStream tar, String name, byte[] content, int mode)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(mode);
    entry.setSize(content.length);
    tar.putArchiveEntry(entry);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
