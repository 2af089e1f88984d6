package dev.ozworker.observe;

import dev.ozworker.api.AgentTask;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether the API server answers: one cheap read (a single AgentTask of the namespace), which the
 * worker is allowed to do anyway. The client retries a refused connection for a long while, so the
 * answer is awaited only for a deadline; probes arriving meanwhile share the request in flight
 * rather than piling up more.
 */
public final class ApiServerCheck {
  private final KubernetesClient client;
  private final String namespace;
  private final Duration deadline;
  private final AtomicReference<CompletableFuture<Void>> inFlight = new AtomicReference<>();

  public ApiServerCheck(KubernetesClient client, String namespace, Duration deadline) {
    this.client = client;
    this.namespace = namespace;
    this.deadline = deadline;
  }

  /** Empty when the API server answered within the deadline; otherwise why not. */
  public Optional<String> problem() {
    CompletableFuture<Void> request = inFlight.updateAndGet(this::currentOrNew);
    try {
      request.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
      return Optional.empty();
    } catch (TimeoutException e) {
      return Optional.of(
          "the Kubernetes API server did not answer within " + deadline.toSeconds() + "s");
    } catch (ExecutionException e) {
      return Optional.of(
          "the Kubernetes API server is not reachable: " + e.getCause().getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while asking the Kubernetes API server");
    }
  }

  private CompletableFuture<Void> currentOrNew(CompletableFuture<Void> current) {
    if (current != null && !current.isDone()) {
      return current;
    }
    CompletableFuture<Void> request = new CompletableFuture<>();
    Thread.ofVirtual()
        .name("api-server-check")
        .start(
            () -> {
              try {
                client
                    .resources(AgentTask.class)
                    .inNamespace(namespace)
                    .list(new ListOptionsBuilder().withLimit(1L).build());
                request.complete(null);
              } catch (RuntimeException e) {
                request.completeExceptionally(e);
              }
            });
    return request;
  }
}
