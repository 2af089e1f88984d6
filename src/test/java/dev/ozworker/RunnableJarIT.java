package dev.ozworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The packaged jar, run as an operator runs it. */
class RunnableJarIT {
  static final Path JAR = Path.of("target", "oz-worker-operator.jar");

  record Run(int status, String out, String err) {}

  static Run run(String java, String... args) throws IOException, InterruptedException {
    List<String> command =
        Stream.concat(Stream.of(java, "-jar", JAR.toString()), Stream.of(args)).toList();
    Process process = new ProcessBuilder(command).start();
    process.getOutputStream().close();
    byte[] out = process.getInputStream().readAllBytes();
    byte[] err = process.getErrorStream().readAllBytes();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("jar exits").isTrue();
    return new Run(
        process.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void helpListsTheReferenceFlagsUnderJava21OrNewer() throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow();

    Run help = run(java, "--help");

    assertThat(help.status()).as(help.err()).isZero();
    assertThat(help.out())
        .contains(
            "--worker-id", "--api-key", "--backend=docker|direct", "-e, --env", "check-config");
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

    Run help = run(oldJava.get().toString(), "--help");

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
