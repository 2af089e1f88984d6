package dev.ozworker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.googlejavaformat.java.Formatter;
import com.google.googlejavaformat.java.FormatterException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java source is in google-java-format. This runs on the build's JDK, which parses the Java
 * 21 we compile (Maven's own JVM may be older). {@code -Dformat.apply=true} rewrites the files.
 */
class SourceFormattingTest {
  @Test
  void everyJavaSourceIsGoogleJavaFormatted() throws IOException, FormatterException {
    Formatter formatter = new Formatter();
    boolean apply = Boolean.getBoolean("format.apply");
    List<Path> unformatted = new ArrayList<>();
    for (Path source : javaSources()) {
      String text = Files.readString(source);
      String formatted = formatter.formatSourceAndFixImports(text);
      if (!formatted.equals(text)) {
        unformatted.add(source);
        if (apply) {
          Files.writeString(source, formatted);
        }
      }
    }
    assertThat(unformatted)
        .as("unformatted; fix with: ./mvnw test -Dtest=SourceFormattingTest -Dformat.apply=true")
        .isEmpty();
  }

  private static List<Path> javaSources() throws IOException {
    List<Path> sources = new ArrayList<>();
    for (String root : List.of("src", "bench")) {
      if (Files.isDirectory(Path.of(root))) {
        try (Stream<Path> files = Files.walk(Path.of(root))) {
          files.filter(file -> file.toString().endsWith(".java")).sorted().forEach(sources::add);
        }
      }
    }
    assertThat(sources).as("Java sources under src/").isNotEmpty();
    return sources;
  }
}
