package dev.ozworker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RedactorTest {

  @Test
  void masksEveryOccurrenceOfEverySecret() {
    Redactor redactor = new Redactor(List.of("ghs_abc", "wk_123"));

    assertThat(redactor.redact("token ghs_abc, key wk_123, again ghs_abc"))
        .isEqualTo("token [REDACTED], key [REDACTED], again [REDACTED]");
  }

  @Test
  void masksALongerSecretWholeWhenItContainsAShorterOne() {
    Redactor redactor = new Redactor(List.of("abcd", "xxabcdxx"));

    assertThat(redactor.redact("-xxabcdxx-abcd-")).isEqualTo("-[REDACTED]-[REDACTED]-");
  }

  @Test
  void leavesValuesTooShortToBeSecretsReadable() {
    Redactor redactor = new Redactor(List.of("1", "yes", "true", "ghs_token"));

    assertThat(redactor.redact("exit status 1: yes, true, ghs_token"))
        .isEqualTo("exit status 1: yes, [REDACTED], [REDACTED]");
    assertThat(redactor.longestSecretLength()).isEqualTo(9);
  }

  @Test
  void ignoresEmptyValuesAndLeavesOtherTextAlone() {
    Redactor redactor = new Redactor(List.of("", "s3cret"));

    assertThat(redactor.redact("nothing to hide")).isEqualTo("nothing to hide");
    assertThat(redactor.redact(null)).isNull();
    assertThat(Redactor.none().redact("s3cret")).isEqualTo("s3cret");
  }

  @Test
  void cutsTheTailAfterRedactingSoNoSecretIsCutInHalf() {
    Redactor redactor = new Redactor(List.of("SECRETVALUE"));
    String output = "x".repeat(100) + "SECRETVALUE" + "tail";

    String tail = redactor.redactTail(output, 12);

    assertThat(tail).isEqualTo("EDACTED]tail");
    assertThat(tail).doesNotContain("VALUE");
    assertThat(redactor.redactTail("short", 12)).isEqualTo("short");
  }
}
