package dev.ozworker.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/build-image.sh} before it reaches Docker: it builds what the manifests deploy, and
 * without the jar it says how to build it. ({@code DockerImageIT} builds the image with it.)
 */
class BuildImageScriptTest {
  static final Path SCRIPT = Path.of("deploy", "build-image.sh");

  @Test
  void itsDefaultTagIsTheImageTheManifestsDeploy() throws IOException {
    String kustomization = Files.readString(Manifests.BASE.resolve("kustomization.yaml"));
    Matcher image = Pattern.compile("- name: (\\S+)\\s+newTag: (\\S+)").matcher(kustomization);
    assertThat(image.find()).as(kustomization).isTrue();

    assertThat(Files.readString(SCRIPT))
        .contains("tag=${1:-" + image.group(1) + ":" + image.group(2) + "}");
  }

  @Test
  void withoutTheJarItStopsBeforeDockerNamingTheBuildCommand(@TempDir Path repo) throws Exception {
    Files.createDirectories(repo.resolve("deploy"));
    Files.copy(SCRIPT, repo.resolve(SCRIPT));

    Command built = Command.run(repo, Duration.ofSeconds(30), "sh", "deploy/build-image.sh");

    assertThat(built.status()).isEqualTo(1);
    assertThat(built.out()).isEmpty();
    assertThat(built.err())
        .isEqualTo(
            "build-image: target/oz-worker-operator.jar is missing: build it first with"
                + " ./mvnw -B package -DskipTests\n");
  }
}
