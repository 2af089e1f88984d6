package dev.ozworker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LauncherTest {
  @ParameterizedTest(name = "java.specification.version {0} is Java {1}")
  @CsvSource({"1.8, 8", "11, 11", "17, 17", "21, 21", "25, 25"})
  void readsTheFeatureReleaseOfOldAndNewVersionStrings(String version, int feature) {
    assertThat(Launcher.feature(version)).isEqualTo(feature);
  }
}
