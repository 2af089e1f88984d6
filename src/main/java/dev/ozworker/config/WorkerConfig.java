package dev.ozworker.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything a worker replica is configured with, validated. Built by {@link WorkerConfigResolver}
 * from defaults, the config file and flags (flags win). Every default lives in this class.
 *
 * @param workerId this replica's id; labels the AgentTasks it owns
 * @param apiKey the Oz API key ({@code --api-key} or {@code WARP_API_KEY})
 * @param webSocketUrl the Oz worker endpoint
 * @param serverRootUrl the Oz server root passed to the agent; empty when set to "", which leaves
 *     the agent on its built-in default
 * @param sessionSharingServerUrl passed to the agent when set
 * @param logLevel worker log level
 * @param namespace where AgentTasks and their Secrets live; the worker's own namespace when empty
 * @param cleanup remove containers and workspaces after a task
 * @param maxConcurrentTasks tasks run at once; 0 means no limit
 * @param idleOnComplete how long the agent stays up after finishing; the CLI's default when empty
 * @param taskTimeout longest a task may run before it fails with {@code task_timeout}; zero means
 *     no limit
 * @param cancelGracePeriod time between SIGTERM and SIGKILL when a task is cancelled
 * @param finishedTaskTtl how long a finished, reported AgentTask is kept; zero keeps it forever
 * @param taskLogDir where each task's full, redacted output is written
 * @param backend the backend and its settings
 * @param shutdownGracePeriod how long the worker may take to drain after SIGTERM; it exits before
 *     this has passed (match the pod's {@code terminationGracePeriodSeconds})
 * @param podName the pod this replica runs in ({@code POD_NAME}), written to each task's status
 * @param nodeName the node it runs on ({@code NODE_NAME}), written to each task's status
 * @param httpPort port of {@code /metrics}, {@code /healthz} and {@code /readyz}; 0 picks a free
 *     one
 * @param httpAddress address that port is bound on
 * @param logFormat text lines or JSON objects
 */
public record WorkerConfig(
    String workerId,
    ApiKey apiKey,
    URI webSocketUrl,
    Optional<URI> serverRootUrl,
    Optional<URI> sessionSharingServerUrl,
    LogLevel logLevel,
    Optional<String> namespace,
    boolean cleanup,
    int maxConcurrentTasks,
    Optional<Duration> idleOnComplete,
    Duration taskTimeout,
    Duration cancelGracePeriod,
    Duration finishedTaskTtl,
    Path taskLogDir,
    BackendConfig backend,
    Duration shutdownGracePeriod,
    Optional<String> podName,
    Optional<String> nodeName,
    int httpPort,
    String httpAddress,
    LogFormat logFormat) {

  public static final URI DEFAULT_WEB_SOCKET_URL =
      URI.create("wss://oz.warp.dev/api/v1/selfhosted/worker/ws");
  public static final URI DEFAULT_SERVER_ROOT_URL = URI.create("https://app.warp.dev");
  public static final LogLevel DEFAULT_LOG_LEVEL = LogLevel.info;
  public static final BackendKind DEFAULT_BACKEND = BackendKind.DOCKER;
  public static final boolean DEFAULT_CLEANUP = true;
  public static final int DEFAULT_MAX_CONCURRENT_TASKS = 0;
  public static final Duration DEFAULT_TASK_TIMEOUT = Duration.ofHours(24);
  public static final Duration DEFAULT_CANCEL_GRACE_PERIOD = Duration.ofSeconds(30);
  public static final Duration DEFAULT_FINISHED_TASK_TTL = Duration.ofHours(24);
  public static final ImagePullPolicy DEFAULT_IMAGE_PULL_POLICY = ImagePullPolicy.IfNotPresent;

  /** A week: long enough that a volume outlives the gaps between tasks using the same image. */
  public static final Duration DEFAULT_SIDECAR_VOLUME_MAX_AGE = Duration.ofDays(7);

  public static final Path DEFAULT_WORKSPACE_ROOT = Path.of("/var/lib/oz/workspaces");
  public static final Path DEFAULT_TASK_LOG_DIR = Path.of("/var/lib/oz/logs");
  public static final Duration DEFAULT_TEARDOWN_TIMEOUT = Duration.ofMinutes(5);
  public static final Duration DEFAULT_SHUTDOWN_GRACE_PERIOD = Duration.ofSeconds(30);

  /** Downward API variables a pod's spec sets; the worker reads them when present. */
  public static final String POD_NAME_ENV = "POD_NAME";

  public static final String POD_NAMESPACE_ENV = "POD_NAMESPACE";
  public static final String NODE_NAME_ENV = "NODE_NAME";

  public static final int DEFAULT_HTTP_PORT = 9090;

  /** All interfaces: in a pod the kubelet probes the pod's address. */
  public static final String DEFAULT_HTTP_ADDRESS = "0.0.0.0";

  public static final LogFormat DEFAULT_LOG_FORMAT = LogFormat.text;

  /** Environment variable that supplies the API key when {@code --api-key} is absent. */
  public static final String API_KEY_ENV = "WARP_API_KEY";
}
