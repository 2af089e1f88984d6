package dev.ozworker.task;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TaskIdsTest {
  @ParameterizedTest
  @ValueSource(strings = {"7c9e6679-7425-40de-944b-e07fc1f90ae7", "Task_1.a", "a..b", "x"})
  void acceptsIdsThatAreOneSafePathComponent(String id) {
    assertThat(TaskIds.problem(id)).isNull();
    assertThat(TaskIds.isSafe(id)).isTrue();
  }

  @ParameterizedTest(name = "[{0}] {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "''| is empty",
        ".| is a relative directory name",
        "..| is a relative directory name",
        "a/b| contains a path separator",
        "a\\b| contains a path separator",
        "../etc| contains a path separator",
        "-rf| starts with '-' and would read as a flag",
        "a b| contains whitespace or a control character",
        "a\tb| contains whitespace or a control character",
      })
  void refusesIdsThatCouldEscapeOrMislead(String id, String problem) {
    assertThat(TaskIds.problem(id.replace("\\t", "\t"))).isEqualTo(problem.trim());
  }

  @ParameterizedTest
  @ValueSource(ints = {256, 10_000})
  void refusesOverlongIds(int length) {
    assertThat(TaskIds.problem("a".repeat(length))).isEqualTo("is longer than 255 characters");
  }
}
