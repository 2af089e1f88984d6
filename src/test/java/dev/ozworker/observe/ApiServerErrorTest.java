package dev.ozworker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApiServerErrorTest {
  @Test
  void namesTheServersReasonMessageAndTheCausesItsMessageDoesNotSay() {
    KubernetesClientException refused =
        new KubernetesClientException(
            new StatusBuilder()
                .withCode(422)
                .withReason("Invalid")
                .withMessage("AgentTask.ozworker.dev \"t\" is invalid: spec.prompt: Invalid value")
                .withNewDetails()
                .addNewCause()
                .withField("spec.prompt")
                .withMessage("Invalid value")
                .endCause()
                .addNewCause()
                .withField("spec.title")
                .withMessage("Too long")
                .endCause()
                .endDetails()
                .build());

    assertThat(ApiServerError.of(refused).describe())
        .isEqualTo(
            "HTTP 422 Invalid: AgentTask.ozworker.dev \"t\" is invalid: spec.prompt: Invalid value"
                + " (causes: spec.title: Too long)");
  }

  @Test
  void saysWhatWentWrongWhenTheServerDidNotAnswer() {
    KubernetesClientException unreachable =
        new KubernetesClientException(
            "An error has occurred.", new ConnectException("Connection refused"));

    ApiServerError error = ApiServerError.of(unreachable);

    assertThat(error.answered()).isFalse();
    assertThat(error.describe())
        .isEqualTo("no answer from the API server: ConnectException: Connection refused");
  }

  @Test
  void cutsAMessageThatQuotesAHugeValue() {
    String huge = "x".repeat(10_000);
    ApiServerError error = new ApiServerError(422, "Invalid", huge, List.of());

    assertThat(error.describe()).hasSizeLessThan(700).endsWith("(10000 chars)");
  }
}
