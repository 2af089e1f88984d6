package dev.ozworker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ozworker.config.LogFormat;
import dev.ozworker.config.LogLevel;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class LogSetupTest {
  private static final Logger log = LoggerFactory.getLogger("dev.ozworker.test.LogSetupTest");

  @AfterEach
  void restoreDefaults() {
    LogSetup.apply(LogLevel.info, LogFormat.text);
  }

  @Test
  void jsonLinesParseAndCarryTheTaskIdOfTheMdc() throws Exception {
    List<JsonNode> lines = parse(capture(LogLevel.info, LogFormat.json));
    assertThat(lines).hasSize(1);
    JsonNode line = lines.getFirst();
    assertThat(line.path("level").asText()).isEqualTo("INFO");
    assertThat(line.path("mdc").path("task").asText()).isEqualTo("task-7f3a");
    assertThat(line.path("formattedMessage").asText())
        .isEqualTo("AgentTask task-7f3a is Running: the agent is running");
    assertThat(line.has("arguments")).isFalse();
  }

  @Test
  void textLinesNameTheTaskAndTheLevelFilters() {
    LogSetup.apply(LogLevel.warn, LogFormat.text);
    String text;
    try (LogCapture capture = LogCapture.start();
        var ignored = MDC.putCloseable("task", "task-9")) {
      log.info("hidden at warn");
      log.warn("shown at warn");
      text = capture.text();
    }
    assertThat(text).doesNotContain("hidden at warn");
    assertThat(text).contains("WARN", "task=task-9", "- shown at warn");
  }

  @Test
  void debugShowsDebugLinesWithoutATaskWhenNoneIsSet() {
    LogSetup.apply(LogLevel.debug, LogFormat.text);
    String text;
    try (LogCapture capture = LogCapture.start()) {
      log.debug("a debug line");
      text = capture.text();
    }
    assertThat(text).contains("DEBUG", "LogSetupTest - a debug line").doesNotContain("task=");
  }

  /** Logs one line in {@code format} with a task in the MDC and returns what was written. */
  private static String capture(LogLevel level, LogFormat format) {
    LogSetup.apply(level, format);
    try (LogCapture capture = LogCapture.start();
        var ignored = MDC.putCloseable("task", "task-7f3a")) {
      log.info("AgentTask {} is {}: {}", "task-7f3a", "Running", "the agent is running");
      log.debug("not at info");
      return capture.text();
    }
  }

  private static List<JsonNode> parse(String text) throws Exception {
    ObjectMapper json = new ObjectMapper();
    return text.lines().filter(l -> !l.isBlank()).map(l -> read(json, l)).toList();
  }

  private static JsonNode read(ObjectMapper json, String line) {
    try {
      return json.readTree(line);
    } catch (Exception e) {
      throw new AssertionError("not a JSON line: " + line, e);
    }
  }
}
