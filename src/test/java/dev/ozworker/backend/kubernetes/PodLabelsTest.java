package dev.ozworker.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.config.KubernetesNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PodLabelsTest {
  @ParameterizedTest
  @CsvSource({
    "3f1c2a9e-0d7b-4a51-9c3e-5b2f1e8d7a60, 3f1c2a9e-0d7b-4a51-9c3e-5b2f1e8d7a60",
    "Worker_1.A, worker_1.a",
    "team/run:42, team-run-42",
    "..run.., run",
    "'', unknown",
    "'---', unknown",
    "ünï, n"
  })
  void idsBecomeLabelValuesAsTheReferenceWritesThem(String id, String value) {
    assertThat(PodLabels.labelValue(id)).isEqualTo(value);
  }

  @Test
  void aLongIdIsCutTo63AndEndsOnALetterOrDigit() {
    String value = PodLabels.labelValue("a".repeat(62) + "-b");

    assertThat(value).isEqualTo("a".repeat(62));
    assertThat(PodLabels.labelValue("x".repeat(100))).hasSize(63);
    assertThat(KubernetesNames.isLabelValue(value)).isTrue();
  }

  @Test
  void theHashIsTheFirstEightBytesOfSha256() {
    // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    assertThat(PodLabels.hash("abc")).isEqualTo("ba7816bf8f01cfea");
    assertThat(PodLabels.hash("")).isEqualTo("e3b0c44298fc1c14");
  }
}
