package dev.ozworker.backend.docker;

import com.github.dockerjava.transport.DockerHttpClient;
import java.io.IOException;

/**
 * Sends a request again when it failed on a pooled connection the engine had closed: after dockerd
 * restarts, every idle connection of the pool is dead, and the first requests on them fail with a
 * broken pipe or a reset although the engine is back. Such a request never reached the engine, so
 * it is sent again (up to {@link #ATTEMPTS} times, each on another connection); requests whose body
 * cannot be replayed, and failures with a response, are not.
 */
final class StaleConnectionRetry implements DockerHttpClient {
  static final int ATTEMPTS = 4;

  private final DockerHttpClient delegate;

  StaleConnectionRetry(DockerHttpClient delegate) {
    this.delegate = delegate;
  }

  @Override
  public Response execute(Request request) {
    for (int attempt = 1; ; attempt++) {
      try {
        return delegate.execute(request);
      } catch (RuntimeException e) {
        if (attempt >= ATTEMPTS || !replayable(request) || !staleConnection(e)) {
          throw e;
        }
      }
    }
  }

  private static boolean replayable(Request request) {
    return request.hijackedInput() == null
        && (request.bodyBytes() != null || request.body() == null);
  }

  /** A write or read on a connection the peer closed: the request got no answer at all. */
  static boolean staleConnection(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException && cause.getMessage() != null) {
        String message = cause.getMessage();
        if (message.contains("Broken pipe") || message.contains("Connection reset")) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
