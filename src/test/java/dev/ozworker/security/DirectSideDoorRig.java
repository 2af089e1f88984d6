package dev.ozworker.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ozworker.api.AgentConfig;
import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.backend.direct.DirectBackend;
import dev.ozworker.config.ConfigFixtures;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.task.TaskResolver;
import dev.ozworker.task.TaskSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Direct runs on real processes for items 4 and 5: a stand-in Oz CLI that records what it was given
 * and could reach, setup and teardown commands that record theirs, in a directory every uid may
 * traverse (an agent under another uid must reach its CLI and records).
 */
final class DirectSideDoorRig implements AutoCloseable {
  static final String WORKER_KEY = "worker-api-key-7d2e91";
  static final String DB_PASSWORD = "worker-db-password-51ac";
  static final Duration DEADLINE = Duration.ofSeconds(60);

  /** Records argv, cmdlines, environ, uid, the MCP file and the token it tried to read. */
  static final String STAND_IN =
      """
      #!/bin/sh
      out="$RECORDS"
      id -u >"$out/agent-uid"
      cat /proc/$$/cmdline >"$out/agent-cmdline"
      cat /proc/$PPID/cmdline >"$out/wrapper-cmdline"
      cat /proc/$$/environ >"$out/agent-environ"
      prev=""
      for arg in "$@"; do
        if [ "$prev" = "--mcp" ]; then cat "$arg" >"$out/mcp" 2>&1; fi
        prev="$arg"
      done
      if [ -n "${TOKEN_FILE:-}" ]; then
        if cat "$TOKEN_FILE" >"$out/token" 2>/dev/null; then echo read >"$out/token-status";
        else echo refused >"$out/token-status"; fi
      fi
      if [ -n "${AGENT_SCRIPT:-}" ]; then sh -c "$AGENT_SCRIPT"; fi
      if [ -n "${SAY:-}" ]; then printf '%s\\n' "$SAY"; fi
      exit 0
      """;

  final Path root;
  final Path records;
  final Path logs;
  final Map<String, String> host = new LinkedHashMap<>();
  private final Path oz;
  private DirectBackend backend;

  DirectSideDoorRig() throws IOException {
    root =
        Files.createTempDirectory(
            "oz-side-doors-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    records = Files.createDirectory(root.resolve("records"));
    Files.setPosixFilePermissions(records, PosixFilePermissions.fromString("rwxrwxrwx"));
    logs = root.resolve("logs");
    oz = root.resolve("oz");
    Files.writeString(oz, STAND_IN);
    Files.setPosixFilePermissions(oz, PosixFilePermissions.fromString("rwxr-xr-x"));
    host.put("HOME", Files.createDirectory(root.resolve("home")).toString());
    host.put("TMPDIR", root.toString());
    host.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    host.put("WARP_API_KEY", WORKER_KEY);
    host.put("DB_PASSWORD", DB_PASSWORD);
  }

  /** A worker whose {@code backend.direct} block has {@code keys} too. */
  WorkerConfig config(Map<String, Object> keys) {
    Map<String, Object> direct = new LinkedHashMap<>();
    direct.put("workspace_root", root.resolve("workspaces").toString());
    direct.put("oz_path", oz.toString());
    direct.put("secret_env_names", List.of("DB_PASSWORD"));
    direct.put("environment", List.of(Map.of("name", "RECORDS", "value", records.toString())));
    direct.putAll(keys);
    return ConfigFixtures.worker(
        Map.of(
            "worker_id", "w", "task_log_dir", logs.toString(), "backend", Map.of("direct", direct)),
        Map.of("--api-key", WORKER_KEY));
  }

  /** Runs one task to its end and its cleanup (teardown included); returns its outcome. */
  TaskOutcome run(
      WorkerConfig config,
      String runId,
      Map<String, String> plain,
      Map<String, String> secret,
      String agentConfigJson)
      throws Exception {
    backend = DirectBackend.create(config, host);
    AgentTaskSpec spec = new AgentTaskSpec();
    spec.setTaskId(runId);
    if (agentConfigJson != null) {
      spec.setAgentConfig(new ObjectMapper().readValue(agentConfigJson, AgentConfig.class));
    }
    TaskSpec resolved = new TaskResolver(config).resolve(runId, spec, secret);
    resolved = withPlain(resolved, plain);
    Outcome outcome = new Outcome();
    var ref = backend.start(resolved, outcome);
    TaskOutcome result = outcome.done.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    backend.cleanup(ref).toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    return result;
  }

  /** The task's env with {@code plain} added as variables that are not secret. */
  private static TaskSpec withPlain(TaskSpec spec, Map<String, String> plain) {
    List<dev.ozworker.task.TaskEnv.Entry> entries = new java.util.ArrayList<>(spec.env().entries());
    plain.forEach(
        (name, value) -> entries.add(new dev.ozworker.task.TaskEnv.Entry(name, value, false)));
    return new TaskSpec(
        spec.runId(),
        spec.ozTaskId(),
        spec.executionId(),
        spec.backend(),
        spec.image(),
        new dev.ozworker.task.TaskEnv(entries),
        spec.ozArgs(),
        spec.sidecars(),
        spec.limits(),
        spec.timeout(),
        spec.harness(),
        spec.object());
  }

  String record(String name) throws IOException {
    return Files.readString(records.resolve(name), StandardCharsets.UTF_8);
  }

  /** A record of NUL-separated strings (a cmdline or an environ) as its strings. */
  List<String> strings(String name) throws IOException {
    return List.of(record(name).split("\0"));
  }

  String log(String runId) throws IOException {
    return Files.readString(logs.resolve(runId + ".log"), StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws IOException {
    if (backend != null) {
      backend.close();
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  private static final class Outcome implements TaskListener {
    final CompletableFuture<TaskOutcome> done = new CompletableFuture<>();

    @Override
    public void running() {}

    @Override
    public void finished(TaskOutcome outcome) {
      done.complete(outcome);
    }
  }
}
