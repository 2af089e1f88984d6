package dev.ozworker.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.Main;
import dev.ozworker.config.LogFormat;
import dev.ozworker.config.LogLevel;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.observe.LogSetup;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code oz-worker-operator demo ARGS}, run in this process as the command line runs it, with a
 * home and temporary directory of the test's (where the demo leaves its folder): its exit status,
 * what it printed, and what the worker logged meanwhile.
 */
record DemoRun(int status, String out, String err, String logs) {

  static DemoRun of(Path home, String... args) {
    return of(home, new StringWriter(), args);
  }

  /** The demo, printing to {@code out}. */
  static DemoRun of(Path home, Writer out, String... args) {
    Map<String, String> env =
        Map.of(
            "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"),
            "HOME", home.toString(),
            "TMPDIR", home.toString());
    StringWriter err = new StringWriter();
    try (LogCapture capture = LogCapture.start()) {
      int status =
          Main.execute(
              Stream.concat(Stream.of("demo"), Stream.of(args)).toArray(String[]::new),
              env,
              home,
              new PrintWriter(out, true),
              new PrintWriter(err, true));
      return new DemoRun(status, out.toString(), err.toString(), capture.text());
    } finally {
      // The command set the process's log level (the demo's default is warn): the tests that run
      // after it in this JVM read INFO lines, so the level logback starts with comes back
      LogSetup.apply(LogLevel.info, LogFormat.text);
    }
  }

  /** The first group of {@code regex} in what the demo printed. */
  String printed(String regex) {
    Matcher found = Pattern.compile(regex).matcher(out);
    assertThat(found.find()).as("%s in:\n%s", regex, out).isTrue();
    return found.group(1);
  }

  /** The demo's folder, from the task log directory it names. */
  Path folder() {
    return Path.of(printed("Task logs \\(secrets masked\\): (\\S+)")).getParent();
  }

  /** Every task log the demo wrote, one after the other. */
  String taskLogs() {
    try (Stream<Path> files = Files.walk(folder().resolve("logs")).filter(Files::isRegularFile)) {
      return files
          .map(
              file -> {
                try {
                  return Files.readString(file);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .reduce("", String::concat);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
