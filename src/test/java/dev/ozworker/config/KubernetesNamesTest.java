package dev.ozworker.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Kubernetes' rules as the API server applies them, checked without a client. */
class KubernetesNamesTest {
  @ParameterizedTest(name = "label key {0}")
  @ValueSource(
      strings = {
        "team",
        "Team_1",
        "a",
        "app.kubernetes.io/part-of",
        "example.com/Team",
        "x/y",
        "a23456789012345678901234567890123456789012345678901234567890123"
      })
  void acceptsLabelKeys(String key) {
    assertThat(KubernetesNames.isLabelKey(key)).isTrue();
  }

  @ParameterizedTest(name = "not a label key: \"{0}\"")
  @ValueSource(
      strings = {
        "",
        "team name",
        "-team",
        "team-",
        "/team",
        "example.com/",
        "Example.com/team",
        "example..com/team",
        "a/b/c",
        "a234567890123456789012345678901234567890123456789012345678901234"
      })
  void refusesWhatIsNoLabelKey(String key) {
    assertThat(KubernetesNames.isLabelKey(key)).isFalse();
  }

  @ParameterizedTest(name = "quantity {0}")
  @ValueSource(
      strings = {
        "10Gi", "64Mi", "100m", "1", "0", "1.5", ".5", "2.", "1k", "1M", "1e3", "1E-2", "+1Ki"
      })
  void acceptsQuantities(String quantity) {
    assertThat(KubernetesNames.isQuantity(quantity)).isTrue();
  }

  @ParameterizedTest(name = "not a quantity: \"{0}\"")
  @ValueSource(strings = {"", "10GB", "10 Gi", "Gi", "-1Gi", "1.2.3", "1mi", "ten", "1Ki1", "1e"})
  void refusesWhatIsNoQuantity(String quantity) {
    assertThat(KubernetesNames.isQuantity(quantity)).isFalse();
  }
}
