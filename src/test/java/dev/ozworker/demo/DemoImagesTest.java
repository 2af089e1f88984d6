package dev.ozworker.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's image contents without an engine: which busybox it accepts (a dynamic one would not
 * start in an image without libraries), and the archives it imports, read back by another tar
 * implementation.
 */
class DemoImagesTest {
  @TempDir Path dir;

  @Test
  void aMissingBusyboxSaysWhatToInstall() {
    assertThatThrownBy(() -> DemoImages.staticBinary(dir.resolve("busybox")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(dir.resolve("busybox") + " is missing")
        .hasMessageContaining("install busybox-static");
  }

  @Test
  void aFileThatIsNoExecutableIsRefused() throws IOException {
    Path script = Files.writeString(dir.resolve("busybox"), "#!/bin/sh\necho not an ELF file\n");
    assertThatThrownBy(() -> DemoImages.staticBinary(script))
        .hasMessageContaining("is not a 64-bit little-endian executable")
        .hasMessageContaining("install busybox-static");
  }

  @Test
  void aDynamicallyLinkedExecutableIsRefused() {
    Path dynamic = Path.of("/bin/ls");
    assumeThat(Files.isRegularFile(dynamic)).as("this system has /bin/ls").isTrue();
    assertThatThrownBy(() -> DemoImages.staticBinary(dynamic.toRealPath()))
        .hasMessageContaining("is dynamically linked")
        .hasMessageContaining("install busybox-static");
  }

  @Test
  void theHostsStaticBusyboxIsAccepted() throws IOException {
    assertThat(DemoImages.staticBinary(DemoImages.BUSYBOX))
        .isEqualTo(Files.readAllBytes(DemoImages.BUSYBOX));
  }

  @Test
  void theTaskImageHoldsBusyboxAndItsShellAndSleep() throws IOException {
    byte[] busybox = "pretend busybox".getBytes(StandardCharsets.UTF_8);
    Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
    Map<String, String> contents = new LinkedHashMap<>();
    read(DemoImages.taskRootfs(busybox), entries, contents);

    assertThat(entries.get("bin/").isDirectory()).isTrue();
    assertThat(entries.get("tmp/").getMode() & 07777).isEqualTo(01777);
    assertThat(entries.get("bin/busybox").getMode() & 07777).isEqualTo(0755);
    assertThat(contents).containsEntry("bin/busybox", "pretend busybox");
    assertThat(entries.get("bin/sh").isSymbolicLink()).isTrue();
    assertThat(entries.get("bin/sh").getLinkName()).isEqualTo("busybox");
    assertThat(entries).containsKey("bin/sleep");
    assertThat(entries.values()).allMatch(TarArchiveEntry::isCheckSumOK);
    assertThat(DemoImages.taskRootfs(busybox))
        .as("the same content gives the same bytes, so its digest can be compared")
        .isEqualTo(DemoImages.taskRootfs(busybox));
  }

  @Test
  void theAgentImageHoldsTheEntrypointAndTheStandInCliBesideIt() throws IOException {
    Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
    Map<String, String> contents = new LinkedHashMap<>();
    read(DemoImages.agentRootfs(), entries, contents);

    assertThat(entries.keySet()).containsExactly("entrypoint.sh", "oz");
    assertThat(entries.values()).allMatch(entry -> (entry.getMode() & 0111) == 0111);
    assertThat(contents.get("entrypoint.sh")).startsWith("#!/bin/sh").contains("exec /agent/oz");
    assertThat(contents.get("oz")).startsWith("#!/bin/sh").contains("DEMO_EXIT");
  }

  @Test
  void thePodImageHoldsTheTaskImageAndTheAgentUnderAgent() throws IOException {
    byte[] busybox = "pretend busybox".getBytes(StandardCharsets.UTF_8);
    Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
    Map<String, String> contents = new LinkedHashMap<>();
    read(DemoImages.podRootfs(busybox), entries, contents);
    Map<String, String> agent = new LinkedHashMap<>();
    read(DemoImages.agentRootfs(), new LinkedHashMap<>(), agent);

    assertThat(contents).containsEntry("bin/busybox", "pretend busybox");
    assertThat(entries.get("bin/sh").getLinkName()).isEqualTo("busybox");
    assertThat(entries.get("agent/").isDirectory()).isTrue();
    assertThat(contents)
        .as("the same entrypoint and stand-in CLI as the sidecar's, where Pods run them")
        .containsEntry("agent/entrypoint.sh", agent.get("entrypoint.sh"))
        .containsEntry("agent/oz", agent.get("oz"));
    assertThat(entries.get("agent/entrypoint.sh").getMode() & 0111).isEqualTo(0111);
    assertThat(entries.get("agent/oz").getMode() & 0111).isEqualTo(0111);
    assertThat(entries.values()).allMatch(TarArchiveEntry::isCheckSumOK);
  }

  private static void read(
      byte[] tar, Map<String, TarArchiveEntry> entries, Map<String, String> contents)
      throws IOException {
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        entries.put(entry.getName(), entry);
        if (entry.isFile()) {
          contents.put(entry.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
      }
    }
  }
}
