package dev.ozworker.demo;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.ozworker.backend.docker.DockerEngine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The demo's images, made on the local engine with {@code docker import} when absent, so that no
 * registry is needed. For the Docker backend: a task image holding the host's static busybox, and
 * an agent sidecar image holding {@code entrypoint.sh} and the stand-in Oz CLI. For the Kubernetes
 * backend: one image holding both, the agent under {@code /agent}, run with no sidecar — the
 * backend copies a sidecar image with its own {@code tar --exclude}, which the busybox of
 * busybox-static does not have. Each is labelled with the digest of its content and kept for the
 * next run; one whose content changed (a newer demo script, another busybox) is made again.
 */
public final class DemoImages {
  public static final String TASK_IMAGE = "oz-demo/task:local";
  public static final String AGENT_IMAGE = "oz-demo/agent:local";

  /** The task image with the agent under {@code /agent}, for task Pods. */
  public static final String POD_IMAGE = "oz-demo/task-with-agent:local";

  /** Where busybox-static installs its binary. */
  public static final Path BUSYBOX = Path.of("/bin/busybox");

  static final String CONTENT_LABEL = "ozworker.dev/demo-content";
  static final String ENTRYPOINT_RESOURCE = "/dev/ozworker/demo/oz-demo-entrypoint.sh";
  private static final List<String> APPLETS =
      List.of("sh", "echo", "cat", "env", "ls", "sleep", "true");
  private static final int PT_INTERP = 3;

  private DemoImages() {}

  /**
   * The demo's images on the engine the environment names (DOCKER_HOST etc.), made if missing.
   *
   * @param say hears one line per image made
   * @throws IllegalStateException when busybox is missing or not static, or no usable engine
   *     answers, saying what to install or start
   */
  public static DemoScenario.Images ensure(Path busybox, Consumer<String> say) throws IOException {
    byte[] taskRootfs = taskRootfs(staticBinary(busybox));
    byte[] agentRootfs = agentRootfs();
    try (DockerEngine engine = DockerEngine.fromEnvironment()) {
      if (ensureImage(engine, TASK_IMAGE, taskRootfs)) {
        say.accept("made demo image " + TASK_IMAGE + " from " + busybox);
      }
      if (ensureImage(engine, AGENT_IMAGE, agentRootfs)) {
        say.accept("made demo image " + AGENT_IMAGE + " holding the stand-in Oz CLI");
      }
    }
    return new DemoScenario.Images(Optional.of(TASK_IMAGE), Optional.of(AGENT_IMAGE));
  }

  /**
   * The demo's image for task Pods on the engine the environment names, made if missing. A node
   * runs it only if its kubelet uses that engine (or has the image loaded): it is never pulled.
   *
   * @param say hears a line when the image is made
   * @throws IllegalStateException when busybox is missing or not static, or no usable engine
   *     answers, saying what to install or start
   */
  public static DemoScenario.Images ensureForPods(Path busybox, Consumer<String> say)
      throws IOException {
    byte[] rootfs = podRootfs(staticBinary(busybox));
    try (DockerEngine engine = DockerEngine.fromEnvironment()) {
      if (ensureImage(engine, POD_IMAGE, rootfs)) {
        say.accept(
            "made demo image " + POD_IMAGE + " from " + busybox + " and the stand-in Oz CLI");
      }
    }
    return new DemoScenario.Images(Optional.of(POD_IMAGE), Optional.empty());
  }

  /**
   * The content of {@code path} when it is a statically linked 64-bit ELF executable: the task
   * image has no libraries for a dynamic one to load.
   */
  static byte[] staticBinary(Path path) throws IOException {
    String install = ": install busybox-static (e.g. sudo apt-get install busybox-static)";
    byte[] binary;
    try {
      binary = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new IllegalStateException(path + " is missing" + install, e);
    }
    ByteBuffer elf = ByteBuffer.wrap(binary).order(ByteOrder.LITTLE_ENDIAN);
    boolean elf64 =
        binary.length > 0x40
            && elf.getInt(0) == 0x464c457f // \x7fELF
            && binary[4] == 2
            && binary[5] == 1;
    if (!elf64) {
      throw new IllegalStateException(path + " is not a 64-bit little-endian executable" + install);
    }
    long table = elf.getLong(0x20);
    int entrySize = Short.toUnsignedInt(elf.getShort(0x36));
    int entries = Short.toUnsignedInt(elf.getShort(0x38));
    for (int i = 0; i < entries; i++) {
      long at = table + (long) i * entrySize;
      if (at + 4 > binary.length) {
        throw new IllegalStateException(path + " is a truncated executable" + install);
      }
      if (elf.getInt((int) at) == PT_INTERP) {
        throw new IllegalStateException(
            path + " is dynamically linked; the demo's task image needs a static one" + install);
      }
    }
    return binary;
  }

  static byte[] taskRootfs(byte[] busybox) {
    return withBusybox(busybox).finish();
  }

  static byte[] agentRootfs() throws IOException {
    return new Tarball()
        .file("entrypoint.sh", 0755, resource(ENTRYPOINT_RESOURCE))
        .file("oz", 0755, resource(DemoAgent.RESOURCE))
        .finish();
  }

  /** The task image's content and the agent sidecar's under {@code /agent}, where Pods run it. */
  static byte[] podRootfs(byte[] busybox) throws IOException {
    return withBusybox(busybox)
        .directory("agent", 0755)
        .file("agent/entrypoint.sh", 0755, resource(ENTRYPOINT_RESOURCE))
        .file("agent/oz", 0755, resource(DemoAgent.RESOURCE))
        .finish();
  }

  private static Tarball withBusybox(byte[] busybox) {
    Tarball tar =
        new Tarball()
            .directory("bin", 0755)
            .directory("tmp", 01777)
            .file("bin/busybox", 0755, busybox);
    APPLETS.forEach(applet -> tar.symlink("bin/" + applet, "busybox"));
    return tar;
  }

  /** Imports {@code rootfs} as {@code reference} unless it is there with this content already. */
  private static boolean ensureImage(DockerEngine engine, String reference, byte[] rootfs)
      throws IOException {
    String content = sha256(rootfs).substring(0, 12);
    Optional<InspectImageResponse> present = inspect(engine.client(), reference);
    Optional<String> label =
        present
            .map(InspectImageResponse::getConfig)
            .map(c -> c.getLabels() == null ? null : c.getLabels().get(CONTENT_LABEL));
    if (label.filter(content::equals).isPresent()) {
      return false;
    }
    engine.importImage(reference, rootfs, List.of("LABEL " + CONTENT_LABEL + "=" + content));
    present.ifPresent(earlier -> removeQuietly(engine.client(), earlier.getId()));
    return true;
  }

  private static Optional<InspectImageResponse> inspect(DockerClient docker, String reference) {
    try {
      return Optional.of(docker.inspectImageCmd(reference).exec());
    } catch (NotFoundException absent) {
      return Optional.empty();
    }
  }

  /** The image an import replaced, now untagged; one a container still uses stays. */
  private static void removeQuietly(DockerClient docker, String id) {
    try {
      docker.removeImageCmd(id).exec();
    } catch (NotFoundException | ConflictException inUseOrGone) {
      // a stopped container of an earlier run may hold it; it is only disk space
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = DemoImages.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("a demo file is missing from the jar: " + name);
      }
      return in.readAllBytes();
    }
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
