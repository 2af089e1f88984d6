package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DotEnvTest {
  private static final Map<String, String> SETUP_ENV = Map.of("HOME", "/home/oz");

  static Stream<Arguments> files() {
    return Stream.of(
        Arguments.of("A=1", Map.of("A", "1")),
        Arguments.of("A=1\nB=2\n", Map.of("A", "1", "B", "2")),
        Arguments.of("export A=1", Map.of("A", "1")),
        Arguments.of("  export   A = 1  ", Map.of("A", "1")),
        Arguments.of("A: 1", Map.of("A", "1")),
        Arguments.of("# comment\n\n  # indented\nA=1", Map.of("A", "1")),
        Arguments.of("A=1 # trailing comment", Map.of("A", "1")),
        Arguments.of("A=a#b", Map.of("A", "a#b")),
        Arguments.of("A=", Map.of("A", "")),
        Arguments.of("A=\"two words\"", Map.of("A", "two words")),
        Arguments.of("A=\"x # not a comment\" # a comment", Map.of("A", "x # not a comment")),
        Arguments.of("A='$HOME \\n literal'", Map.of("A", "$HOME \\n literal")),
        Arguments.of(
            "A=\"line1\\nline2\\t\\\"q\\\" \\\\ \\$HOME\"",
            Map.of("A", "line1\nline2\t\"q\" \\ $HOME")),
        Arguments.of("A=\"multi\nline\"\nB=2", Map.of("A", "multi\nline", "B", "2")),
        Arguments.of("A=$HOME/bin", Map.of("A", "/home/oz/bin")),
        Arguments.of("A=1\nB=${A}2\nC=\"$A-$B\"", Map.of("A", "1", "B", "12", "C", "1-12")),
        Arguments.of("A=$UNSET.", Map.of("A", ".")),
        Arguments.of("A=cost $ 5", Map.of("A", "cost $ 5")),
        Arguments.of("A=1\nA=2", Map.of("A", "2")),
        Arguments.of("A=1\r\nB=2\r\n", Map.of("A", "1", "B", "2")),
        Arguments.of("\uFEFFA=1", Map.of("A", "1")),
        Arguments.of("", Map.of()));
  }

  @ParameterizedTest
  @MethodSource("files")
  void readsWhatASetupCommandWrites(String text, Map<String, String> expected) throws Exception {
    assertThat(DotEnv.parse(text, SETUP_ENV::get)).isEqualTo(expected);
  }

  static Stream<Arguments> broken() {
    return Stream.of(
        Arguments.of("A", "line 1: expected = after A"),
        Arguments.of("A=1\n\nB", "line 3: expected = after B"),
        Arguments.of("1A=x", "line 1: not a variable name"),
        Arguments.of("A=\"secret-value", "line 1: the value of A has no end quote"),
        Arguments.of("A='secret-value' trailing", "line 1: unexpected text after"));
  }

  @ParameterizedTest
  @MethodSource("broken")
  void saysWhichLineIsWrongWithoutShowingAValue(String text, String problem) {
    assertThatThrownBy(() -> DotEnv.parse(text, SETUP_ENV::get))
        .isInstanceOf(DotEnv.InvalidDotEnvException.class)
        .hasMessageStartingWith(problem)
        .message()
        .doesNotContain("secret-value");
  }
}
