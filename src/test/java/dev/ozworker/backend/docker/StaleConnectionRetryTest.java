package dev.ozworker.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.transport.DockerHttpClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StaleConnectionRetryTest {
  static final DockerHttpClient.Request INSPECT =
      DockerHttpClient.Request.builder()
          .method(DockerHttpClient.Request.Method.GET)
          .path("/images/busybox/json")
          .build();

  /** Fails with the queued errors first, then answers. */
  static final class Scripted implements DockerHttpClient {
    final Deque<RuntimeException> failures;
    int calls;

    Scripted(List<RuntimeException> failures) {
      this.failures = new ArrayDeque<>(failures);
    }

    @Override
    public Response execute(Request request) {
      calls++;
      if (!failures.isEmpty()) {
        throw failures.pop();
      }
      return new Response() {
        @Override
        public int getStatusCode() {
          return 200;
        }

        @Override
        public Map<String, List<String>> getHeaders() {
          return Map.of();
        }

        @Override
        public InputStream getBody() {
          return new ByteArrayInputStream(new byte[0]);
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public void close() {}
  }

  static RuntimeException stale(String message) {
    return new RuntimeException(new IOException(message));
  }

  @Test
  void aRequestThatMetDeadPooledConnectionsIsSentAgainOnAnother() {
    Scripted engine =
        new Scripted(List.of(stale("Broken pipe"), stale("Connection reset by peer")));

    assertThat(new StaleConnectionRetry(engine).execute(INSPECT).getStatusCode()).isEqualTo(200);
    assertThat(engine.calls).isEqualTo(3);
  }

  @Test
  void otherFailuresAreNotRetried() {
    Scripted engine = new Scripted(List.of(stale("Connection refused")));

    assertThatThrownBy(() -> new StaleConnectionRetry(engine).execute(INSPECT))
        .hasRootCauseMessage("Connection refused");
    assertThat(engine.calls).isEqualTo(1);
  }

  @Test
  void retriesStopAfterTheLastAttempt() {
    List<RuntimeException> failures =
        java.util.stream.Stream.generate(() -> stale("Broken pipe")).limit(10).toList();
    Scripted engine = new Scripted(failures);

    assertThatThrownBy(() -> new StaleConnectionRetry(engine).execute(INSPECT))
        .hasRootCauseMessage("Broken pipe");
    assertThat(engine.calls).isEqualTo(StaleConnectionRetry.ATTEMPTS);
  }
}
