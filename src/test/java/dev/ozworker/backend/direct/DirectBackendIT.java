package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskLog;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.observe.Redactor;
import dev.ozworker.task.TaskResolver;
import dev.ozworker.task.TaskSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Direct backend runs the stand-in oz CLI as a real process: arguments, env, exit codes. */
class DirectBackendIT {
  @TempDir Path tmp;
  DirectRig rig;

  @BeforeEach
  void rig() throws Exception {
    rig = new DirectRig(tmp);
  }

  @AfterEach
  void stopWhatWasStarted() {
    rig.stop();
  }

  @Test
  void runsTheCliWithExactlyTheResolversArgumentsInAPrivateWorkspace() throws Exception {
    WorkerConfig config =
        WorkerConfigs.resolve(
            "worker_id: w1\ntask_log_dir: "
                + rig.logs
                + "\nbackend:\n  direct:\n    workspace_root: "
                + rig.workspaces
                + "\n    oz_path: "
                + rig.oz
                + "\n    environment:\n      - {name: STANDIN_RECORDS, value: "
                + rig.records("task-1")
                + "}\n",
            Map.of("WARP_API_KEY", "k"));
    AgentTaskSpec agentTask = new AgentTaskSpec();
    agentTask.setTaskId("task-1");
    agentTask.setAdditionalOzArgs(List.of("two words", "$HOME", "`id`;x", ""));
    TaskSpec spec = new TaskResolver(config).resolve("at-1", agentTask, Map.of());
    DirectBackend backend = DirectBackend.create(config, rig.host);
    DirectRig.Listener listener = new DirectRig.Listener();

    BackendRef ref = backend.start(spec, listener);

    assertThat(listener.outcome()).isInstanceOf(TaskOutcome.Succeeded.class);
    listener.assertHeardOnce("running", "finished");
    Path workspace = rig.workspaces.resolve("task-1");
    assertThat(ref.workspace()).isEqualTo(workspace.toString());
    assertThat(ref.processId()).isPositive();
    assertThat(rig.argv("task-1")).isEqualTo(spec.ozArgs()).contains("two words", "`id`;x", "");
    assertThat(Files.readString(rig.record("task-1", "cwd")).strip())
        .isEqualTo(workspace.toRealPath().toString());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(workspace)))
        .isEqualTo("rwx------");
    assertThat(rig.environ("task-1"))
        .containsEntry("GIT_CONFIG_GLOBAL", workspace.resolve(".gitconfig").toString());
  }

  @Test
  void setupSeesTheOzVariablesAndItsDotenvValuesReachTheAgent() throws Exception {
    Path script = tmp.resolve("setup.sh");
    Files.writeString(
        script,
        """
        cat /proc/$$/environ >"$STANDIN_RECORDS.setup-environ"
        cat >>"$OZ_ENVIRONMENT_FILE" <<'DOTENV'
        # written by setup
        export FROM_SETUP="hello world"
        SINGLE='$NOT_EXPANDED'
        PLAIN=value # a comment
        OPERATOR_VAR=replaced-by-setup
        GIT_CONFIG_GLOBAL=/not/this
        DOTENV
        """);
    DirectBackend backend = rig.backend(rig.config("sh " + script, null, null), true);
    DirectRig.Listener listener = new DirectRig.Listener();

    BackendRef ref = backend.start(rig.task("t-setup", Map.of()), listener);

    assertThat(listener.outcome()).isInstanceOf(TaskOutcome.Succeeded.class);
    Path workspace = Path.of(ref.workspace());
    Map<String, String> setup =
        DirectRig.environ(Path.of(rig.records("t-setup") + ".setup-environ"));
    assertThat(setup)
        .containsEntry("OZ_WORKSPACE_ROOT", workspace.toString())
        .containsEntry("OZ_WORKER_BACKEND", "direct")
        .containsEntry("OZ_RUN_ID", "t-setup")
        .containsEntry("WORKER_ONLY", "for-setup-and-teardown")
        .containsEntry("OPERATOR_VAR", "from-operator")
        .containsEntry("TASK_ID", "t-setup");
    assertThat(Path.of(setup.get("OZ_ENVIRONMENT_FILE")).getParent()).isEqualTo(workspace);
    assertThat(Path.of(setup.get("OZ_ENVIRONMENT_FILE"))).doesNotExist();
    assertThat(rig.environ("t-setup"))
        .containsEntry("FROM_SETUP", "hello world")
        .containsEntry("SINGLE", "$NOT_EXPANDED")
        .containsEntry("PLAIN", "value")
        .containsEntry("OPERATOR_VAR", "replaced-by-setup")
        .containsEntry("GIT_CONFIG_GLOBAL", workspace.resolve(".gitconfig").toString())
        .doesNotContainKeys("OZ_ENVIRONMENT_FILE", "OZ_RUN_ID");
    assertThat(ref.processId()).as("the agent starts after setup, after start returned").isNull();
    assertThat(listener.located)
        .as("the agent's process group, reported once it started")
        .isEqualTo(
            new BackendRef(
                "direct",
                "t-setup",
                null,
                Long.parseLong(Files.readString(RunFiles.of(rig.logs, "t-setup").pid()).strip()),
                workspace.toString(),
                null));
  }

  @Test
  void theAgentSeesOnlyHomeTmpdirAndPathOfTheWorkersEnvironment() throws Exception {
    DirectBackend backend = rig.backend(rig.config(), true);
    DirectRig.Listener listener = new DirectRig.Listener();

    backend.start(rig.task("t-env", Map.of(), Map.of("TASK_TOKEN", "task-secret")), listener);

    assertThat(listener.outcome()).isInstanceOf(TaskOutcome.Succeeded.class);
    Map<String, String> agent = rig.environ("t-env");
    assertThat(agent.values()).doesNotContain(DirectRig.WORKER_KEY);
    assertThat(agent)
        .doesNotContainKeys("WARP_API_KEY", "WORKER_ONLY")
        .containsEntry("HOME", rig.host.get("HOME"))
        .containsEntry("TMPDIR", rig.host.get("TMPDIR"))
        .containsEntry("TASK_TOKEN", "task-secret")
        .containsEntry("OPERATOR_VAR", "from-operator");
    assertThat(agent.keySet())
        .containsExactlyInAnyOrder(
            "HOME",
            "TMPDIR",
            "PATH",
            "TASK_ID",
            "STANDIN_RECORDS",
            "TASK_TOKEN",
            "OPERATOR_VAR",
            "GIT_CONFIG_GLOBAL",
            "PWD");
  }

  @ParameterizedTest
  @ValueSource(strings = {"..", "a/b", "", "."})
  void aTaskIdThatIsNoSafePathComponentFailsWithWorkspaceSetup(String runId) throws Exception {
    DirectBackend backend = rig.backend(rig.config(), true);
    DirectRig.Listener listener = new DirectRig.Listener();
    Files.createDirectories(rig.workspaces);

    assertThatThrownBy(() -> backend.start(rig.task(runId, Map.of()), listener))
        .isInstanceOfSatisfying(
            TaskFailure.class,
            failure -> assertThat(failure.reason()).isEqualTo(FailureReason.WORKSPACE_SETUP));
    assertThat(backend.cleanup(DirectRig.planned(runId)).toCompletableFuture().get()).isEmpty();
    try (var entries = Files.list(rig.workspaces)) {
      assertThat(entries).isEmpty();
    }
    assertThat(listener.events).isEmpty();
  }

  @Test
  void aNonZeroExitFailsTheRunWithThatExitCode() throws Exception {
    DirectBackend backend = rig.backend(rig.config(), true);
    DirectRig.Listener listener = new DirectRig.Listener();

    backend.start(rig.task("t-exit", Map.of("STANDIN_EXIT", "3")), listener);

    TaskOutcome outcome = listener.outcome();
    assertThat(outcome).isInstanceOf(TaskOutcome.Failed.class);
    TaskFailure failure = ((TaskOutcome.Failed) outcome).failure();
    assertThat(failure.reason()).isEqualTo(FailureReason.AGENT_INVOCATION);
    assertThat(failure.exitCode()).contains(3);
    assertThat(failure.getMessage()).isEqualTo("oz agent exited with error: exit status 3");
  }

  @Test
  void anAgentKilledBySigkillFailsWithExitCode137() throws Exception {
    DirectBackend backend = rig.backend(rig.config(), true);
    DirectRig.Listener listener = new DirectRig.Listener();

    backend.start(rig.task("t-kill", Map.of("STANDIN_KILL_SELF", "1")), listener);

    TaskFailure failure = ((TaskOutcome.Failed) listener.outcome()).failure();
    assertThat(failure.reason()).isEqualTo(FailureReason.AGENT_INVOCATION);
    assertThat(failure.exitCode()).contains(137);
    assertThat(failure.getMessage()).contains("exit status 137", "SIGKILL");
  }

  @Test
  void aSecretTheAgentPrintsIsMaskedInTheLogFileAndTheTail() throws Exception {
    String secret = "ghp_9f8e7d6c5b4a-secret";
    DirectBackend backend = rig.backend(rig.config(), true);
    DirectRig.Listener listener = new DirectRig.Listener();

    backend.start(
        rig.task("t-secret", Map.of("STANDIN_SAY", "token=" + secret), Map.of("GH_TOKEN", secret)),
        listener);

    TaskOutcome outcome = listener.outcome();
    assertThat(outcome.logTail()).contains("agent says: token=" + Redactor.MASK);
    assertThat(outcome.logTail()).doesNotContain(secret);
    String logged = Files.readString(TaskLog.file(rig.logs, "t-secret"));
    assertThat(logged).contains("token=" + Redactor.MASK).doesNotContain(secret);
  }

  @Test
  void aFailingSetupCommandFailsTheRunAndTheAgentNeverStarts() throws Exception {
    DirectBackend backend =
        rig.backend(
            rig.config("echo preparing; exit 4", "echo torn >>" + tmp.resolve("td"), null), true);
    DirectRig.Listener listener = new DirectRig.Listener();

    BackendRef ref = backend.start(rig.task("t-setup-fails", Map.of()), listener);

    TaskOutcome outcome = listener.outcome();
    TaskFailure failure = ((TaskOutcome.Failed) outcome).failure();
    assertThat(failure.reason()).isEqualTo(FailureReason.SETUP_COMMAND);
    assertThat(failure.getMessage()).contains("exit status 4");
    assertThat(outcome.logTail()).contains("preparing");
    listener.assertHeardOnce("finished");
    assertThat(rig.records("t-setup-fails")).doesNotExist();
    assertThat(backend.cleanup(ref).toCompletableFuture().get()).isEmpty();
    assertThat(Files.readString(tmp.resolve("td"))).isEqualTo("torn\n");
    await().atMost(DirectRig.DEADLINE).until(() -> !Files.exists(Path.of(ref.workspace())));
  }
}
