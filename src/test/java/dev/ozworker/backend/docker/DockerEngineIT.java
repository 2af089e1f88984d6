package dev.ozworker.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.StreamType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Docker tier is real: a container from a locally imported image runs on the machine's engine
 * through docker-java, the same client the Docker backend uses; {@code docker import} goes through
 * that client's transport.
 */
class DockerEngineIT {
  static TestDocker engine;
  static DockerClient docker;
  static String image;

  final List<String> startedContainers = new ArrayList<>();

  @BeforeAll
  static void connect() throws IOException {
    engine = TestDocker.connect();
    docker = engine.client;
    image = engine.busyboxImage();
  }

  @AfterAll
  static void close() throws IOException {
    engine.close();
  }

  @AfterEach
  void removeWhatThisTestStarted() {
    for (String id : startedContainers) {
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }

  @Test
  void runsAContainerFromTheImportedImageAndReadsItsOutput() throws InterruptedException {
    String id =
        run(
            List.of("GREETING=from-busybox"),
            "/bin/sh",
            "-c",
            "echo hello $GREETING; echo oops >&2; echo cwd=$(pwd)");

    assertThat(exitCode(id)).isZero();
    List<String> stdout = output(id, StreamType.STDOUT);
    assertThat(stdout).containsExactly("hello from-busybox", "cwd=/tmp");
    assertThat(output(id, StreamType.STDERR)).containsExactly("oops");
  }

  @Test
  void reportsTheExitCodeOfAFailingCommand() throws InterruptedException {
    String id = run(List.of(), "/bin/sh", "-c", "exit 3");

    assertThat(exitCode(id)).isEqualTo(3);
  }

  @Test
  void containersRunWithoutANetwork() throws InterruptedException {
    String id = run(List.of(), "/bin/cat", "/proc/net/dev");

    assertThat(exitCode(id)).isZero();
    assertThat(output(id, StreamType.STDOUT))
        .as("only the loopback interface")
        .filteredOn(line -> line.contains(":"))
        .extracting(line -> line.trim().split(":")[0])
        .containsExactly("lo");
  }

  @Test
  void importsARootFileSystemWithTheInstructionsGiven() throws IOException {
    String reference = "ozworker-test/import:" + UUID.randomUUID().toString().substring(0, 8);
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
      byte[] content = "imported\n".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry file = new TarArchiveEntry("hello.txt");
      file.setSize(content.length);
      out.putArchiveEntry(file);
      out.write(content);
      out.closeArchiveEntry();
    }
    try (DockerEngine engine = DockerEngine.fromEnvironment()) {
      engine.importImage(reference, tar.toByteArray(), List.of("LABEL ozworker.dev/test=import"));
      InspectImageResponse imported = docker.inspectImageCmd(reference).exec();
      try {
        assertThat(imported.getConfig().getLabels()).containsEntry("ozworker.dev/test", "import");
      } finally {
        docker.removeImageCmd(imported.getId()).withForce(true).exec();
      }
    }
  }

  @Test
  void anImportTheEngineRefusesSaysWhatItAnswered() {
    String reference = "ozworker-test/import:" + UUID.randomUUID().toString().substring(0, 8);
    try (DockerEngine engine = DockerEngine.fromEnvironment()) {
      assertThatThrownBy(
              () ->
                  engine.importImage(
                      reference, "not a tarball".getBytes(StandardCharsets.UTF_8), List.of()))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("docker import of " + reference + " failed");
    }
  }

  private String run(List<String> env, String... command) {
    String id =
        docker
            .createContainerCmd(image)
            .withCmd(command)
            .withEnv(env)
            .withWorkingDir("/tmp")
            .withLabels(Map.of("ozworker.dev/test", getClass().getSimpleName()))
            .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
            .exec()
            .getId();
    startedContainers.add(id);
    docker.startContainerCmd(id).exec();
    return id;
  }

  private static int exitCode(String id) {
    return docker.waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS);
  }

  private static List<String> output(String id, StreamType stream) throws InterruptedException {
    List<String> lines = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    docker
        .logContainerCmd(id)
        .withStdOut(stream == StreamType.STDOUT)
        .withStdErr(stream == StreamType.STDERR)
        .exec(
            new ResultCallback.Adapter<Frame>() {
              @Override
              public void onNext(Frame frame) {
                text.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
              }
            })
        .awaitCompletion(60, TimeUnit.SECONDS);
    text.toString().lines().forEach(lines::add);
    return lines;
  }
}
