package dev.ozworker;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The jar's entry point, compiled for old Java releases so that an older {@code java} says what to
 * run instead of failing with a class-version error; on Java 21+ it hands over to {@link Main}.
 */
public final class Launcher {
  static final int REQUIRED_JAVA = 21;

  private Launcher() {}

  public static void main(String[] args) throws Throwable {
    String running = System.getProperty("java.specification.version");
    if (feature(running) < REQUIRED_JAVA) {
      System.err.println(
          "oz-worker-operator needs Java "
              + REQUIRED_JAVA
              + " or newer; this is Java "
              + running
              + " ("
              + System.getProperty("java.home")
              + ").");
      for (String java : newerJavas()) {
        System.err.println("  run it with: " + java + " -jar " + jar());
      }
      System.exit(1);
    }
    // The embedded API server's netty would otherwise use sun.misc.Unsafe, which Java 24+ warns
    // about on every start; it works the same without it.
    if (System.getProperty("io.netty.noUnsafe") == null) {
      System.setProperty("io.netty.noUnsafe", "true");
    }
    try {
      Class.forName("dev.ozworker.Main")
          .getMethod("main", String[].class)
          .invoke(null, (Object) args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** "1.8" is 8, "17" is 17. */
  static int feature(String specificationVersion) {
    String[] parts = specificationVersion.split("\\.");
    int first = Integer.parseInt(parts[0]);
    return first == 1 && parts.length > 1 ? Integer.parseInt(parts[1]) : first;
  }

  /** {@code bin/java} of each JDK or JRE under /usr/lib/jvm whose release file says 21 or newer. */
  private static List<String> newerJavas() {
    List<String> javas = new ArrayList<>();
    for (Path java : installedJavas()) {
      if (featureOf(java) >= REQUIRED_JAVA) {
        javas.add(java.toString());
      }
    }
    return javas;
  }

  /** {@code bin/java} of each JDK or JRE under /usr/lib/jvm, sorted by path. */
  static List<Path> installedJavas() {
    List<Path> javas = new ArrayList<>();
    Path jvms = Paths.get("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return javas;
    }
    try (Stream<Path> homes = Files.list(jvms)) {
      homes
          .sorted()
          .map(home -> home.resolve("bin").resolve("java"))
          .filter(Files::isExecutable)
          .forEach(javas::add);
    } catch (IOException e) {
      // Nothing to suggest; the message above still says what is needed.
    }
    return javas;
  }

  /**
   * The feature release of the installation {@code java} belongs to, from its release file; 0 if
   * unknown.
   */
  static int featureOf(Path java) {
    Path release = java.getParent().getParent().resolve("release");
    try {
      for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
        if (line.startsWith("JAVA_VERSION=")) {
          String version = line.substring("JAVA_VERSION=".length()).replace("\"", "");
          return feature(version.split("[.+-]")[0]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Not an installation we can read.
    }
    return 0;
  }

  private static String jar() {
    try {
      return new File(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .getPath();
    } catch (Exception e) {
      return "oz-worker-operator.jar";
    }
  }
}
