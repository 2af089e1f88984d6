package dev.ozworker.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image, built as the project documents it without a registry: {@code deploy/build-image.sh},
 * which builds the Dockerfile on the base {@code deploy/jre-base-image.sh} makes from the machine's
 * JDK (reused while its inputs are unchanged); then run with {@code --network none} as a pod runs
 * it: non-root, read-only root file system, config mounted at {@code /etc/oz-worker/config.yaml}.
 * The worker image is removed afterwards.
 */
class DockerImageIT {
  static final Path REPO = Path.of("").toAbsolutePath();
  static final String API_KEY = "wk-image-it-5e2";

  static String image;

  @BeforeAll
  static void buildTheImage() throws Exception {
    String tag = "ozworker-test/worker:" + UUID.randomUUID().toString().substring(0, 8);
    Command built =
        Command.run(REPO, Duration.ofSeconds(900), "sh", "deploy/build-image.sh", tag).ok();
    assertThat(built.out()).as("what the script prints on stdout").isEqualTo(tag + "\n");
    // Removed by id, so that only this build's image goes, whatever else carries the tag later.
    image =
        Command.run(
                REPO,
                Duration.ofSeconds(60),
                "docker",
                "image",
                "inspect",
                "--format",
                "{{.Id}}",
                tag)
            .ok()
            .out()
            .strip();
  }

  @AfterAll
  static void removeTheImage() throws Exception {
    if (image != null) {
      Command.run(REPO, Duration.ofSeconds(120), "docker", "image", "rm", "--force", image).ok();
    }
  }

  @Test
  void helpPrintsTheUsageOfTheWorker() throws Exception {
    Command help = docker("--help");

    assertThat(help.status()).as(help.err()).isZero();
    assertThat(help.out())
        .startsWith("Usage: oz-worker-operator")
        .contains("--worker-id", "--backend=docker|direct|kubernetes", "check-config");
  }

  @Test
  void checkConfigReadsTheConfigMapsFileOnAReadOnlyRoot(@TempDir Path dir) throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("config.yaml"),
            Manifests.workerConfig(Manifests.BASE.resolve("config.yaml")));

    Command check =
        docker(
            "-v",
            config + ":/etc/oz-worker/config.yaml:ro",
            image,
            "--config-file=/etc/oz-worker/config.yaml",
            "--worker-id=oz-worker-5d8f9-abcde",
            "check-config");

    assertThat(check.status()).as(check.err()).isZero();
    assertThat(check.out())
        .contains("worker_id: oz-worker-5d8f9-abcde", "max_concurrent_tasks: 2")
        .doesNotContain(API_KEY);
  }

  @Test
  void aBadConfigExitsWithStatus2NamingTheKey(@TempDir Path dir) throws Exception {
    Path config = Files.writeString(dir.resolve("config.yaml"), "max_concurent_tasks: 2\n");

    Command check =
        docker(
            "-v",
            config + ":/etc/oz-worker/config.yaml:ro",
            image,
            "--config-file=/etc/oz-worker/config.yaml",
            "--worker-id=w1",
            "check-config");

    assertThat(check.status()).isEqualTo(2);
    assertThat(check.err()).contains("invalid configuration", "max_concurent_tasks");
  }

  @Test
  void theWorkerTakesItsOwnClassesFromTheImagesAotCache() throws Exception {
    // The JVM reads JAVA_TOOL_OPTIONS beside the ENTRYPOINT's options, and names each class's
    // source.
    Command version = docker("-e", "JAVA_TOOL_OPTIONS=-Xlog:class+load=info", image, "--version");

    assertThat(version.status()).as(version.err()).isZero();
    assertThat(version.out())
        .as("the worker's command class, mapped from the AOT cache made in the image build")
        .containsPattern("dev\\.ozworker\\.cli\\.OzWorkerCommand source: shared objects file")
        .doesNotContain("[error][cds]", "[warning][cds]", "[error][aot]", "[warning][aot]");
  }

  @Test
  void theWorkerRunsAsUid10001WithTheToolsTheDirectBackendNeeds() throws Exception {
    Command id = docker("--entrypoint", "id", image);
    Command tools =
        docker(
            "--entrypoint",
            "/usr/bin/setsid",
            image,
            "--wait",
            "/bin/sh",
            "-c",
            "/usr/bin/mkfifo -m 600 /tmp/fifo && test -p /tmp/fifo && /bin/kill -0 $$ && echo ok");

    assertThat(id.out()).startsWith("uid=10001");
    assertThat(tools.out()).as(tools.err()).isEqualTo("ok\n");
  }

  /**
   * Runs the image like the Deployment does: no network, read-only root, a tmpfs for /tmp, no
   * capabilities. Arguments before the image name (when given) are docker's.
   */
  static Command docker(String... args) throws IOException, InterruptedException {
    boolean namesImage = Arrays.asList(args).contains(image);
    List<String> argv =
        new ArrayList<>(
            List.of(
                "docker",
                "run",
                "--rm",
                "--network",
                "none",
                "--read-only",
                "--tmpfs",
                "/tmp",
                "--cap-drop",
                "ALL",
                "--security-opt",
                "no-new-privileges",
                "-e",
                "WARP_API_KEY=" + API_KEY));
    if (!namesImage) {
      argv.add(image);
    }
    argv.addAll(List.of(args));
    return Command.run(REPO, Duration.ofSeconds(120), argv.toArray(String[]::new));
  }
}
