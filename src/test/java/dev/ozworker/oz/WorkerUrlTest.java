package dev.ozworker.oz;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WorkerUrlTest {

  @ParameterizedTest
  @CsvSource({
    "wss://oz.warp.dev/api/v1/selfhosted/worker/ws, w1,"
        + " wss://oz.warp.dev/api/v1/selfhosted/worker/ws?worker_id=w1",
    "ws://127.0.0.1:9/ws?region=eu, pool a/1, ws://127.0.0.1:9/ws?region=eu&worker_id=pool+a%2F1",
    "ws://127.0.0.1:9/ws?worker_id=old&x=1, new, ws://127.0.0.1:9/ws?x=1&worker_id=new",
    "ws://127.0.0.1:9/ws?worker_id=old, new, ws://127.0.0.1:9/ws?worker_id=new",
  })
  void addsOrReplacesTheWorkerIdQueryParameter(String url, String workerId, String expected) {
    assertThat(WorkerUrl.of(URI.create(url), workerId).uri()).hasToString(expected);
  }

  @ParameterizedTest
  @CsvSource({
    "ws://127.0.0.1:9/ws?worker_id=w, ws://127.0.0.1:9/ws",
    "wss://oz.example/api/ws, wss://oz.example/api/ws",
    "wss://user:s3cret@oz.example/api/ws?worker_id=w, wss://oz.example/api/ws"
  })
  void printsWithoutTheQueryOrUserInformation(String url, String printed) {
    assertThat(WorkerUrl.of(URI.create(url), "w").printable()).isEqualTo(printed);
  }
}
