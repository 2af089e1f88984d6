package dev.ozworker.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything a worker replica is configured with, validated. Each component declares its key once
 * ({@link Key}): its name, flag, environment variable, default, checks and help. {@link
 * WorkerConfigResolver} builds it from the config file, flags, environment and defaults; {@code
 * check-config} prints it and the key table of docs/configuration.md is rendered from these
 * declarations.
 */
public record WorkerConfig(
    @Key(
            value = "worker_id",
            flag = "--worker-id",
            label = "ID",
            env = "POD_NAME",
            check = Check.WORKER_ID,
            blank = Key.Blank.ABSENT,
            noun = "the worker id",
            help =
                "this replica's id; it labels the AgentTasks the replica owns, so it must be a"
                    + " Kubernetes label value, and must not start with `warp`; in a pod, the"
                    + " pod's name")
        String workerId,
    @Key(
            value = "api_key",
            inFile = false,
            flag = "--api-key",
            env = "WARP_API_KEY",
            blank = Key.Blank.ABSENT,
            noun = "the Oz API key",
            help = "the Oz API key; prefer the variable: a flag shows in the process list")
        ApiKey apiKey,
    @Key(
            value = "web_socket_url",
            inFile = false,
            flag = "--web-socket-url",
            schemes = {"ws", "wss"},
            byDefault = "wss://oz.warp.dev/api/v1/selfhosted/worker/ws",
            help =
                "the Oz worker endpoint; `ws://` (unencrypted) only to this machine's loopback"
                    + " unless `allow_insecure_websocket` is set")
        URI webSocketUrl,
    @Key(
            value = "allow_insecure_websocket",
            flag = "--allow-insecure-websocket",
            byDefault = "false",
            ours = true,
            help =
                "allow a `ws://` `web_socket_url` to a host other than loopback: the API key and"
                    + " task secrets then travel unencrypted, so only behind a protected path")
        boolean allowInsecureWebsocket,
    @Key(
            value = "server_root_url",
            inFile = false,
            flag = "--server-root-url",
            schemes = {"http", "https"},
            byDefault = "https://app.warp.dev",
            blank = Key.Blank.NONE,
            none = "empty: the agent's default",
            help =
                "the Oz server root passed to the agent; `\"\"` leaves the agent on its built-in"
                    + " default")
        Optional<URI> serverRootUrl,
    @Key(
            value = "session_sharing_server_url",
            inFile = false,
            flag = "--session-sharing-server-url",
            schemes = {"ws", "wss", "http", "https"},
            help = "the session sharing server passed to the agent")
        Optional<URI> sessionSharingServerUrl,
    @Key(
            value = "log_level",
            inFile = false,
            flag = "--log-level",
            byDefault = "info",
            help = "the worker's log level")
        LogLevel logLevel,
    @Key(
            value = "namespace",
            flag = "--namespace",
            label = "NAMESPACE",
            env = "POD_NAMESPACE",
            check = Check.NAMESPACE,
            none = "the worker's own",
            ours = true,
            help = "where AgentTasks and their Secrets live")
        Optional<String> namespace,
    @Key(
            value = "pod_name",
            inFile = false,
            env = "POD_NAME",
            none = "not in a pod",
            ours = true,
            help = "the pod this replica runs in (downward API), written to each task's status")
        Optional<String> podName,
    @Key(
            value = "node_name",
            inFile = false,
            env = "NODE_NAME",
            none = "not in a pod",
            ours = true,
            help = "the node this replica runs on (downward API), written to each task's status")
        Optional<String> nodeName,
    @Key(
            value = "cleanup",
            flag = "--no-cleanup",
            byDefault = "true",
            help = "remove containers, Pods and workspaces after a task; keep them to debug a task")
        boolean cleanup,
    @Key(
            value = "max_concurrent_tasks",
            flag = "--max-concurrent-tasks",
            byDefault = "0",
            zero = "no limit",
            zeroFlagDefers = true,
            help =
                "tasks run at once; beyond it assignments are rejected (`--max-concurrent-tasks 0`"
                    + " leaves the limit to the file, as in the reference worker)")
        int maxConcurrentTasks,
    @Key(
            value = "idle_on_complete",
            flag = "--idle-on-complete",
            none = "the agent's default",
            help =
                "how long the agent stays up after finishing, for follow-ups, e.g. `45m` or `0s`"
                    + " (the agent's default is 45m)")
        Optional<DurationText> idleOnComplete,
    @Key(
            value = "task_timeout",
            byDefault = "24h",
            zero = "no limit",
            ours = true,
            help = "longest a task may run; then it fails with `task_timeout`")
        Duration taskTimeout,
    @Key(
            value = "cancel_grace_period",
            byDefault = "30s",
            ours = true,
            help = "time between SIGTERM and SIGKILL when a task is cancelled")
        Duration cancelGracePeriod,
    @Key(
            value = "finished_task_ttl",
            byDefault = "24h",
            zero = "kept forever",
            ours = true,
            help = "how long a finished, reported AgentTask is kept")
        Duration finishedTaskTtl,
    @Key(
            value = "task_log_dir",
            byDefault = "/var/lib/oz/logs",
            ours = true,
            help =
                "each task's full output, secret values masked, as `<run id>.log` (bounded, one"
                    + " rotation); an absolute path")
        Path taskLogDir,
    @Key(
            value = "agent_output_to_worker_log",
            flag = "--agent-output-to-log",
            byDefault = "false",
            ours = true,
            help =
                "also write each Docker or Direct task's output, secret values masked, to the"
                    + " worker's own log (what `kubectl logs` of the worker shows), as the"
                    + " reference worker does")
        boolean agentOutputToWorkerLog,
    @Key(
            value = "shutdown_grace_period",
            flag = "--shutdown-grace-period",
            byDefault = "30s",
            check = Check.POSITIVE,
            ours = true,
            help =
                "on SIGTERM the worker drains and exits within this; match the pod's"
                    + " `terminationGracePeriodSeconds`")
        Duration shutdownGracePeriod,
    @Key(
            value = "http_port",
            flag = "--http-port",
            label = "PORT",
            byDefault = "9090",
            zero = "a free port",
            check = Check.TCP_PORT,
            ours = true,
            help = "port of `/metrics`, `/healthz` and `/readyz`")
        int httpPort,
    @Key(
            value = "http_address",
            inFile = false,
            flag = "--http-address",
            label = "ADDRESS",
            byDefault = "0.0.0.0",
            check = Check.NOT_EMPTY,
            ours = true,
            help =
                "address the HTTP port is bound on (in a pod the kubelet probes the pod's address)")
        String httpAddress,
    @Key(
            value = "log_format",
            flag = "--log-format",
            byDefault = "text",
            ours = true,
            help = "`text` lines or `json` objects, one per line, for log shippers")
        LogFormat logFormat,
    @Key(
            value = "api_key_secret",
            byDefault = "oz-worker-api-key",
            check = Check.TOKEN,
            ours = true,
            help =
                "the Secret that holds the API key in the worker's namespace; no AgentTask may"
                    + " name it in `spec.envFrom`, nor any Secret holding the key's value")
        String apiKeySecret,
    @Key(
            value = "user_tasks",
            ours = true,
            help = "what AgentTasks written by hand may do (docs/security.md)")
        UserTasksConfig userTasks,
    @Key(
            value = "backend",
            flag = "--backend",
            byDefault = "docker",
            help =
                "the backend tasks run on, chosen by its block (at most one) or by the flag; a"
                    + " flag naming another backend than the file's block is an error")
        BackendConfig backend) {}
