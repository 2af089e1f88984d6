package dev.ozworker.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PodErrorsTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "pods is forbidden: User \"system:serviceaccount:oz:w\" cannot create resource \"pods\""
            + "|grant it pods create",
        "pods \"oz-task-a\" is forbidden: violates PodSecurity \"restricted:latest\""
            + "|pod-security.kubernetes.io/enforce",
        "pods \"oz-task-a\" is forbidden: exceeded quota: compute|raise the quota",
        "pods \"oz-task-a\" is forbidden: cannot set blockOwnerDeletion if an ownerReference"
            + " refers to a resource you can't set finalizers on|agenttasks/finalizers"
      })
  void aRefusalIsSaidWithWhatToFix(String message, String fix) {
    KubernetesClientException refused =
        new KubernetesClientException(
            new StatusBuilder().withCode(403).withMessage(message).build());

    assertThat(PodErrors.describe(refused)).startsWith("HTTP 403: " + message).contains(fix);
  }

  @Test
  void anInvalidPodPointsAtTheTemplate() {
    KubernetesClientException invalid =
        new KubernetesClientException(
            new StatusBuilder()
                .withCode(422)
                .withMessage("Pod \"x\" is invalid: spec.nodeSelector: Invalid value")
                .build());

    assertThat(PodErrors.describe(invalid)).contains("backend.kubernetes.pod_template");
  }
}
