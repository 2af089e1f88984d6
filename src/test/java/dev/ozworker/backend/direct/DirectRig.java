package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.BackendRef;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigFixtures;
import dev.ozworker.config.DirectBackendConfig;
import dev.ozworker.config.GoDuration;
import dev.ozworker.task.ResourceLimits;
import dev.ozworker.task.TaskEnv;
import dev.ozworker.task.TaskObject;
import dev.ozworker.task.TaskSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A Direct backend on real processes in a temporary directory, with the stand-in {@code oz} script:
 * it builds backends and tasks, reads what the stand-in recorded, and in {@link #stop()} kills the
 * process groups of the runs it started, by their recorded ids.
 */
final class DirectRig {
  static final String WORKER_KEY = "worker-own-api-key-4f1c";
  static final Duration DEADLINE = Duration.ofSeconds(30);

  final Path root;
  final Path workspaces;
  final Path logs;
  final Path records;
  final Path oz;
  final Map<String, String> host;
  private final List<DirectBackend> backends = new ArrayList<>();
  private final List<String> runIds = new ArrayList<>();

  DirectRig(Path root) throws IOException {
    this.root = root;
    this.workspaces = root.resolve("workspaces");
    this.logs = root.resolve("logs");
    this.records = root.resolve("records");
    this.oz = root.resolve("bin/oz");
    Files.createDirectories(oz.getParent());
    Files.createDirectories(records);
    try (InputStream script =
        DirectRig.class.getResourceAsStream("/dev/ozworker/backend/direct/oz-standin.sh")) {
      Files.write(oz, script.readAllBytes());
    }
    Files.setPosixFilePermissions(oz, PosixFilePermissions.fromString("rwx------"));
    Path home = Files.createDirectories(root.resolve("home"));
    host = new LinkedHashMap<>();
    host.put("HOME", home.toString());
    host.put("TMPDIR", root.toString());
    host.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    host.put("WARP_API_KEY", WORKER_KEY);
    host.put("WORKER_ONLY", "for-setup-and-teardown");
  }

  /** A config with the given setup and teardown commands (null for none). */
  DirectBackendConfig config(String setup, String teardown, Duration teardownTimeout) {
    return ConfigFixtures.direct(keys(setup, teardown, teardownTimeout));
  }

  /** The keys of {@link #config(String, String, Duration)}'s block, to add more to. */
  Map<String, Object> keys(String setup, String teardown, Duration teardownTimeout) {
    Map<String, Object> keys = new LinkedHashMap<>();
    keys.put("workspace_root", workspaces.toString());
    keys.put("oz_path", oz.toString());
    keys.put("setup_command", setup);
    keys.put("teardown_command", teardown);
    keys.put(
        "teardown_timeout",
        GoDuration.format(teardownTimeout == null ? Duration.ofMinutes(1) : teardownTimeout));
    keys.put("environment", List.of(Map.of("name", "OPERATOR_VAR", "value", "from-operator")));
    return keys;
  }

  DirectBackendConfig config() {
    return config(null, null, Duration.ofMinutes(1));
  }

  DirectBackend backend(DirectBackendConfig config, boolean cleanup) {
    return backend(oz, config, cleanup);
  }

  /** A backend that runs {@code cli} as the Oz CLI instead of the stand-in. */
  DirectBackend backend(Path cli, DirectBackendConfig config, boolean cleanup) {
    DirectBackend backend =
        new DirectBackend(
            new DirectSettings(cli, config, host, cleanup, logs, DirectSettings.DEFAULT_DRAIN));
    backends.add(backend);
    return backend;
  }

  /**
   * A task whose stand-in records into {@code records/<runId>} and behaves as {@code behaviour}
   * (STANDIN_* variables) says; {@code secrets} are the task's Secret entries.
   */
  TaskSpec task(String runId, Map<String, String> behaviour, Map<String, String> secrets) {
    runIds.add(runId);
    List<TaskEnv.Entry> env = new ArrayList<>();
    env.add(new TaskEnv.Entry("TASK_ID", runId, false));
    env.add(new TaskEnv.Entry("STANDIN_RECORDS", records(runId).toString(), false));
    behaviour.forEach((name, value) -> env.add(new TaskEnv.Entry(name, value, false)));
    secrets.forEach((name, value) -> env.add(new TaskEnv.Entry(name, value, true)));
    return new TaskSpec(
        runId,
        Optional.of(runId),
        Optional.empty(),
        BackendKind.DIRECT,
        "unused",
        new TaskEnv(env),
        List.of("agent", "run", "--task-id", runId, "--sandboxed", "--idle-on-complete", "0s"),
        List.of(),
        ResourceLimits.NONE,
        Duration.ZERO,
        "",
        TaskObject.named(runId));
  }

  TaskSpec task(String runId, Map<String, String> behaviour) {
    return task(runId, behaviour, Map.of());
  }

  Path records(String runId) {
    return records.resolve(runId);
  }

  /** The record once the stand-in published it; the stand-in publishes argv last. */
  Path record(String runId, String name) {
    return records(runId).resolve(name);
  }

  List<String> argv(String runId) throws IOException {
    String text = Files.readString(record(runId, "argv"), StandardCharsets.UTF_8);
    List<String> argv = new ArrayList<>(List.of(text.split("\0", -1)));
    argv.remove(argv.size() - 1);
    return argv;
  }

  Map<String, String> environ(String runId) throws IOException {
    return environ(record(runId, "environ"));
  }

  static Map<String, String> environ(Path file) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String entry : Files.readString(file, StandardCharsets.UTF_8).split("\0")) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        env.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    return env;
  }

  long recordedPid(String runId, String name) throws IOException {
    return Long.parseLong(Files.readString(record(runId, name)).strip());
  }

  /** Gone, or a zombie nobody reaped yet: either way it runs no more. */
  static boolean isGone(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return true;
    }
  }

  /** The process group of {@code pid}, from /proc. */
  static long processGroupOf(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[2]);
  }

  /** Kills what the rig's runs left, by the process ids they recorded, and closes the backends. */
  void stop() {
    backends.forEach(DirectBackend::close);
    for (String runId : runIds) {
      if (Workspaces.invalid(runId).isPresent()) {
        continue;
      }
      RunFiles files = RunFiles.of(logs, runId);
      files
          .processId()
          .filter(pid -> AgentProcess.isWrapperOf(pid, files))
          .ifPresent(pid -> new ProcessGroup(pid).kill());
      for (String name : List.of("pid", "grandchild")) {
        try {
          long pid = recordedPid(runId, name);
          // only a process whose environment names this rig's records: never a reused pid
          if (environ(Path.of("/proc", Long.toString(pid), "environ"))
              .getOrDefault("STANDIN_RECORDS", "")
              .equals(records(runId).toString())) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
          }
        } catch (IOException | NumberFormatException e) {
          // the run never got that far
        }
      }
    }
  }

  static BackendRef planned(String runId) {
    return BackendRef.planned("direct", runId);
  }

  /** Hears a run; {@link #outcome()} waits for its one outcome with a deadline. */
  static final class Listener implements TaskListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    private final CompletableFuture<TaskOutcome> outcome = new CompletableFuture<>();
    private final CompletableFuture<Void> running = new CompletableFuture<>();
    volatile BackendRef located;

    @Override
    public void located(BackendRef ref) {
      located = ref;
    }

    @Override
    public void running() {
      events.add("running");
      running.complete(null);
    }

    @Override
    public void finished(TaskOutcome result) {
      events.add("finished");
      outcome.complete(result);
    }

    TaskOutcome outcome() throws Exception {
      return outcome.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    void awaitRunning() throws Exception {
      running.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    boolean finished() {
      return outcome.isDone();
    }

    void assertHeardOnce(String... expected) {
      assertThat(events).containsExactly(expected);
    }
  }
}
