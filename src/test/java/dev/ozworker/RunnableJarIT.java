package dev.ozworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The packaged jar, run as an operator runs it. */
class RunnableJarIT {
  static final Path JAR = Path.of("target", "oz-worker-operator.jar");

  static Command run(String java, String... args) throws IOException, InterruptedException {
    return Command.run(
        Duration.ofSeconds(60),
        Stream.concat(Stream.of(java, "-jar", JAR.toString()), Stream.of(args))
            .toArray(String[]::new));
  }

  @Test
  void helpListsTheReferenceFlagsUnderJava21OrNewer() throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow();

    Command help = run(java, "--help");

    assertThat(help.status()).as(help.err()).isZero();
    assertThat(help.out())
        .contains(
            "--worker-id",
            "--api-key",
            "--backend=docker|direct|kubernetes",
            "-e, --env",
            "check-config");
  }

  @Test
  void targetHoldsOneJarSoThatTargetStarJarIsTheRunnableOne() throws IOException {
    try (Stream<Path> files = Files.list(JAR.getParent())) {
      assertThat(files.filter(file -> file.toString().endsWith(".jar"))).containsExactly(JAR);
    }
  }

  @Test
  void anOlderJavaIsToldWhichJavaToUse() throws Exception {
    Optional<Path> oldJava = olderJava();
    assumeTrue(oldJava.isPresent(), "no JDK older than 21 under /usr/lib/jvm");

    Command help = run(oldJava.get().toString(), "--help");

    assertThat(help.status()).isEqualTo(1);
    assertThat(help.err())
        .contains("oz-worker-operator needs Java 21 or newer", "run it with: ")
        .doesNotContain("UnsupportedClassVersionError");
  }

  private static Optional<Path> olderJava() {
    return Launcher.installedJavas().stream()
        .filter(java -> Launcher.featureOf(java) > 0 && Launcher.featureOf(java) < 21)
        .findFirst();
  }
}
