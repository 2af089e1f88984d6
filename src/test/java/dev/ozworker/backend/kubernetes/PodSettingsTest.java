package dev.ozworker.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class PodSettingsTest {
  @Test
  void theDefaultsConfigureNothingButTheWorker() {
    PodSettings settings = PodSettings.defaults("worker-1");

    assertThat(settings.workerId()).isEqualTo("worker-1");
    assertThat(settings.imagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(settings.useImageVolumes()).isFalse();
    assertThat(settings.setupCommand()).isEmpty();
    assertThat(settings.teardownCommand()).isEmpty();
    assertThat(settings.extraLabels()).isEmpty();
    assertThat(settings.extraAnnotations()).isEmpty();
    assertThat(settings.activeDeadlineSeconds()).isEmpty();
    assertThat(settings.workspaceSizeLimit()).isEmpty();
    assertThat(settings.podTemplate()).isEmpty();
    assertThat(settings.environment()).isEmpty();
  }

  @Test
  void refusesAPullPolicyKubernetesDoesNotKnow() {
    assertThatThrownBy(() -> settings("always", Optional.empty(), Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"always\"")
        .hasMessageContaining("Always, IfNotPresent, Never");
  }

  @Test
  void blankCommandsAreNoCommands() {
    PodSettings settings = settings("Never", Optional.of("  "), Optional.of(""));

    assertThat(settings.setupCommand()).isEmpty();
    assertThat(settings.teardownCommand()).isEmpty();
  }

  @Test
  void keepsItsOwnCopyOfTheTemplate() {
    PodSpec template = new PodSpecBuilder().withServiceAccountName("agents").build();
    PodSettings settings =
        new PodSettings(
            "w",
            "Always",
            false,
            Optional.empty(),
            Optional.empty(),
            Map.of(),
            Map.of(),
            OptionalLong.empty(),
            Optional.empty(),
            Optional.of(template),
            List.of());

    template.setServiceAccountName("changed");

    assertThat(settings.podTemplate().orElseThrow().getServiceAccountName()).isEqualTo("agents");
  }

  private static PodSettings settings(
      String pullPolicy, Optional<String> setup, Optional<String> teardown) {
    return new PodSettings(
        "w",
        pullPolicy,
        false,
        setup,
        teardown,
        Map.of(),
        Map.of(),
        OptionalLong.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of());
  }
}
