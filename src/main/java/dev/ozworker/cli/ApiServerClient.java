package dev.ozworker.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.TokenRefreshInterceptor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A client of a real API server, configured by a kubeconfig or a pod's service account: fabric8's
 * JDK HTTP client (the embedded server's library brings Vert.x's client too), with its token
 * refresh looking at the configuration at most once a minute, as it means to.
 *
 * <p>fabric8 (7.5) re-reads the configuration before a request when a minute has passed since the
 * last token it found, and records the time only when it finds one. A configuration without a token
 * (a kubeconfig with a client certificate, as kube-local's and many others) never has one, so from
 * the client's second minute on every request read and parsed the kubeconfig again: 12 % of the
 * worker's CPU samples in {@code ThroughputBench} on kube-local (bench/README.md, "Write share on a
 * real API server"). With a token (a pod's service account) nothing changes.
 */
public final class ApiServerClient {
  /** How often fabric8 looks for a new token before a request: its own interval. */
  static final Duration REFRESH_INTERVAL = Duration.ofMinutes(1);

  private ApiServerClient() {}

  /** A client of the API server that {@code config} describes. */
  public static KubernetesClient connect(Config config) {
    JdkHttpClientFactory factory = new JdkHttpClientFactory();
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(factory)
        .withKubernetesSerialization(WorkerSerialization.create())
        .withHttpClientBuilderConsumer(
            builder ->
                builder.addOrReplaceInterceptor(
                    TokenRefreshInterceptor.NAME,
                    new TimedTokenRefresh(config, factory, Clock.systemUTC())))
        .build();
  }

  /**
   * fabric8's token refresh, which also counts a look at the configuration that found no token: at
   * most one such look a minute. A refused request (401) still looks at once, as before.
   */
  static final class TimedTokenRefresh extends TokenRefreshInterceptor {
    private final Config config;
    private final Clock clock;
    private volatile Instant lastLook;

    TimedTokenRefresh(Config config, HttpClient.Factory factory, Clock clock) {
      super(config, factory, clock.instant());
      this.config = config;
      this.clock = clock;
      this.lastLook = clock.instant();
    }

    @Override
    public void before(BasicBuilder headers, HttpRequest request, RequestTags tags) {
      if (!isBasicAuth() && hasNoToken()) {
        Instant now = clock.instant();
        if (now.isBefore(lastLook.plus(REFRESH_INTERVAL))) {
          // Without a token fabric8 adds no header here: there is nothing to do but the look.
          return;
        }
        lastLook = now;
      }
      super.before(headers, request, tags);
    }

    /**
     * Whether there is no token to send, and no way to get one other than reading the configuration
     * again (an OIDC auth provider's token comes from its server: left to fabric8).
     */
    private boolean hasNoToken() {
      return config.getOauthTokenProvider() == null
          && isEmpty(config.getOauthToken())
          && isEmpty(config.getAutoOAuthToken())
          && config.getAuthProvider() == null;
    }

    private static boolean isEmpty(String text) {
      return text == null || text.isEmpty();
    }
  }
}
