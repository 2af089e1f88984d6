package dev.ozworker.intake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.intake.StoreFailure.Kind;
import dev.ozworker.observe.ApiServerError;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StoreFailureTest {
  @ParameterizedTest(name = "HTTP {0} {1}: {3}")
  @CsvSource({
    "0, '', 'ConnectException: Connection refused', TRANSIENT",
    "408, Timeout, 'request timed out', TRANSIENT",
    "429, TooManyRequests, 'too many requests', TRANSIENT",
    "500, InternalError, 'etcd leader changed', TRANSIENT",
    "503, ServiceUnavailable, 'etcd is unavailable', TRANSIENT",
    "504, Timeout, 'the server was unable to return a response in time', TRANSIENT",
    "409, AlreadyExists, 'exists', TRANSIENT",
    "400, BadRequest, 'the body cannot be read', TASK",
    "413, RequestEntityTooLarge, 'Request entity too large: limit is 3145728', TASK",
    "422, Invalid, 'spec.prompt: Invalid value: \"null\"', TASK",
    "500, InternalError, 'etcdserver: request is too large', TASK",
    "401, Unauthorized, 'Unauthorized', WORKER",
    "403, Forbidden, 'secrets is forbidden', WORKER",
    "404, NotFound, 'the server could not find the requested resource', WORKER"
  })
  void eachCauseIsAnsweredAsAdr13Says(int code, String reason, String message, Kind kind) {
    assertThat(StoreFailure.of(new ApiServerError(code, reason, message, List.of())).kind())
        .isEqualTo(kind);
  }

  @ParameterizedTest
  @CsvSource({"401, kubeconfig", "403, manifests/base (RBAC)", "404, kubectl apply -f crds/"})
  void aWorkersOwnProblemSaysHowToFixIt(int code, String fix) {
    assertThat(StoreFailure.of(new ApiServerError(code, "", "no", List.of())).fix("ns-a"))
        .contains(fix);
  }
}
