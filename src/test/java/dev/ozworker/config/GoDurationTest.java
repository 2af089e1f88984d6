package dev.ozworker.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {
  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource({
    "0, PT0S",
    "0s, PT0S",
    "45m, PT45M",
    "1h30m, PT1H30M",
    "1.5s, PT1.5S",
    ".5h, PT30M",
    "90s, PT1M30S",
    "250ms, PT0.25S",
    "2h45m30s, PT2H45M30S",
    "1us, PT0.000001S",
    "1µs, PT0.000001S",
    "3ns, PT0.000000003S",
  })
  void parsesGoDurations(String text, Duration expected) {
    assertThat(GoDuration.parse(text)).contains(expected);
  }

  @ParameterizedTest(name = "\"{0}\" is rejected")
  @ValueSource(
      strings = {
        "",
        "45",
        "45 m",
        "45minutes",
        "-5m",
        "+5m",
        "1d",
        "m",
        "1h 30m",
        "99999999999999999h",
      })
  void rejectsAnythingButUnsignedGoDurations(String text) {
    assertThat(GoDuration.parse(text)).isEmpty();
  }

  @ParameterizedTest(name = "{0} is written {1}")
  @CsvSource({
    "PT0S, 0s",
    "PT45M, 45m",
    "PT1H30M, 1h30m",
    "PT1M30S, 1m30s",
    "PT25H, 25h",
    "PT1.5S, 1s500ms",
    "PT0.000001001S, 1us1ns",
  })
  void formatsTheShortestGoSpellingThatParsesBack(Duration duration, String expected) {
    assertThat(GoDuration.format(duration)).isEqualTo(expected);
    assertThat(GoDuration.parse(expected)).contains(duration);
  }
}
