package dev.ozworker.security;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.backend.docker.DockerBackend;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.LogFormat;
import dev.ozworker.config.LogLevel;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.observe.LogSetup;
import dev.ozworker.observe.Redactor;
import dev.ozworker.oz.OzLink;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import dev.ozworker.task.Sidecar;
import dev.ozworker.task.TaskSpec;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The security review of 2026-12-05, one nested class per item: each test fails on the code the
 * review was made of and passes on the fix. Real API server (kube-local, skipped without
 * KUBECONFIG) and real Docker engine where the item needs them.
 */
class SecurityIT {
  static final Duration DEADLINE = Duration.ofSeconds(60);

  /** Item 1: authoring an AgentTask grants none of the worker's powers. */
  @Nested
  class AuthoringAnAgentTask {
    @TempDir Path root;

    @Test
    void aHandWrittenTaskNamingTheApiKeySecretOrAnotherTasksSecretFailsAndNoAgentGetsItsValues()
        throws Exception {
      try (AuthoringWorker worker = AuthoringWorker.start("secrets", "", root)) {
        String taskSecret = "ghs_authoring_" + worker.run;
        worker.secret(
            "oz-worker-api-key",
            Map.of(AgentTaskKeys.USABLE_BY_TASKS_LABEL, "true"),
            Map.of("WARP_API_KEY", worker.apiKey));
        String fromOz = "oz-task-" + worker.run;
        worker.oz.assign(worker.workerId, assignment(fromOz, Map.of("GH_TOKEN", taskSecret)));
        await()
            .atMost(AuthoringWorker.WAIT)
            .until(() -> !worker.oz.framesAbout(fromOz, "task_completed").isEmpty());

        worker.create(worker.handWritten("takes-the-key", "oz-worker-api-key"));
        worker.create(worker.handWritten("takes-a-task", fromOz + "-env"));

        for (String thief : List.of("takes-the-key", "takes-a-task")) {
          AgentTask refused = worker.awaitFinished(thief);
          assertThat(refused.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
          assertThat(refused.getStatus().getMessage()).contains("spec.envFrom.secretName");
          assertThat(Serialization.asJson(refused))
              .doesNotContain(worker.apiKey)
              .doesNotContain(taskSecret);
        }
        List<String> runs = worker.agentRuns();
        assertThat(runs)
            .as("only the task from Oz ran, with its own Secret")
            .singleElement()
            .satisfies(run -> assertThat(run).contains("--task-id " + fromOz, taskSecret));
        assertThat(String.join("\n", runs)).doesNotContain(worker.apiKey);
      }
    }

    @Test
    void aForgedTaskIdOrACopiedProofSendsNothingToOz() throws Exception {
      try (AuthoringWorker worker = AuthoringWorker.start("forged", "", root)) {
        String fromOz = "oz-task-" + worker.run;
        worker.oz.assign(worker.workerId, assignment(fromOz));
        await()
            .atMost(AuthoringWorker.WAIT)
            .until(() -> !worker.oz.framesAbout(fromOz, "task_completed").isEmpty());
        AgentTask stored = worker.task(fromOz);

        AgentTask forged = worker.handWritten("forged", null);
        forged.getSpec().setTaskId("victim-" + worker.run);
        worker.create(forged);
        AgentTask copy = worker.handWritten("copy", null);
        copy.setSpec(stored.getSpec());
        copy.getMetadata().setAnnotations(stored.getMetadata().getAnnotations());
        worker.create(copy);
        worker.awaitFinished("forged");
        worker.awaitFinished("copy");
        String later = "oz-later-" + worker.run;
        worker.oz.assign(worker.workerId, assignment(later));
        await()
            .atMost(AuthoringWorker.WAIT)
            .until(() -> !worker.oz.framesAbout(later, "task_completed").isEmpty());

        assertThat(worker.phase("forged")).as("it ran").isEqualTo(AgentTaskPhase.Succeeded);
        assertThat(worker.oz.received())
            .filteredOn(frame -> frame.taskId().equals("victim-" + worker.run))
            .isEmpty();
        assertThat(worker.oz.received())
            .filteredOn(frame -> frame.taskId().equals(fromOz))
            .extracting(Frame::type)
            .containsExactly("task_claimed", "task_completed");
      }
    }

    @Test
    void aSecretTheNamespaceOwnerLabelledReachesTheAgentAndAnUnlabelledOneDoesNot()
        throws Exception {
      try (AuthoringWorker worker = AuthoringWorker.start("opt-in", "", root)) {
        worker.secret(
            "team-env",
            Map.of(AgentTaskKeys.USABLE_BY_TASKS_LABEL, "true"),
            Map.of("TEAM_TOKEN", "team-value-" + worker.run));
        worker.secret("private-env", Map.of(), Map.of("PRIVATE", "private-value-" + worker.run));

        worker.create(worker.handWritten("shares", "team-env"));
        worker.create(worker.handWritten("pries", "private-env"));

        assertThat(worker.phase("shares")).isEqualTo(AgentTaskPhase.Succeeded);
        assertThat(worker.phase("pries")).isEqualTo(AgentTaskPhase.Failed);
        assertThat(worker.task("pries").getStatus().getMessage())
            .contains(AgentTaskKeys.USABLE_BY_TASKS_LABEL + "=true");
        assertThat(worker.agentRuns())
            .singleElement()
            .satisfies(run -> assertThat(run).contains("team-value-" + worker.run));
        assertThat(
                worker
                    .client
                    .secrets()
                    .inNamespace(worker.namespace)
                    .withName("team-env")
                    .get()
                    .getMetadata()
                    .getOwnerReferences())
            .as("shared, so never deleted with a task")
            .isNullOrEmpty();
      }
    }

    @Test
    void withUserTasksOffAHandWrittenTaskFailsAndTasksFromOzStillRun() throws Exception {
      try (AuthoringWorker worker =
          AuthoringWorker.start("off", "user_tasks: {enabled: false}", root)) {
        worker.create(worker.handWritten("by-hand", null));
        String fromOz = "oz-task-" + worker.run;
        worker.oz.assign(worker.workerId, assignment(fromOz));

        await()
            .atMost(AuthoringWorker.WAIT)
            .until(() -> !worker.oz.framesAbout(fromOz, "task_completed").isEmpty());
        assertThat(worker.phase("by-hand")).isEqualTo(AgentTaskPhase.Failed);
        assertThat(worker.task("by-hand").getStatus().getMessage())
            .contains("user_tasks.enabled is false");
        assertThat(worker.agentRuns())
            .singleElement()
            .satisfies(run -> assertThat(run).contains("--task-id " + fromOz));
      }
    }
  }

  /** Item 2: the shared sidecar volumes are never writable by a task. */
  @Nested
  class SharedSidecarVolumes {
    static final String REWRITE =
        "/bin/busybox printf '#!/bin/sh\\n"
            + "echo REWRITTEN-ENTRYPOINT\\n"
            + "' > /mnt/agent-rw/entrypoint.sh && echo rewrote the read-write copy";

    @Test
    void aReadWriteSidecarOfTheAgentImageCannotChangeWhatTheNextTaskRuns(@TempDir Path logs)
        throws Exception {
      try (HardenedDockerRig rig = new HardenedDockerRig(logs)) {
        String agent = rig.agentSidecarImage();
        DockerBackend backend = rig.backend(Map.of());
        TaskSpec writer =
            rig.task(
                REWRITE,
                List.of(
                    new Sidecar(agent, "/agent", false),
                    new Sidecar(agent, "/mnt/agent-rw", true)));
        TaskSpec next =
            rig.task("echo next task ran", List.of(new Sidecar(agent, "/agent", false)));

        HardenedDockerRig.Run written = rig.runToEnd(backend, writer);
        HardenedDockerRig.Run after = rig.runToEnd(backend, next);

        assertThat(written.outcome.get()).isInstanceOf(TaskOutcome.Succeeded.class);
        assertThat(rig.log(writer).lines()).contains("rewrote the read-write copy");
        assertThat(after.outcome.get()).isInstanceOf(TaskOutcome.Succeeded.class);
        assertThat(rig.log(next).lines())
            .as("the original entrypoint.sh ran")
            .contains("arg[1]=agent", "next task ran")
            .doesNotContain("REWRITTEN-ENTRYPOINT");
        assertThat(
                rig.docker
                    .listVolumesCmd()
                    .withFilter("label", List.of("ozworker.dev/sidecar-run=" + writer.runId()))
                    .exec()
                    .getVolumes())
            .as("the writer's own copy went with its run")
            .isNullOrEmpty();
      }
    }

    @Test
    void aVolumeOfTheExpectedNameTheWorkerDidNotFillIsNotUsed(@TempDir Path logs) throws Exception {
      try (HardenedDockerRig rig = new HardenedDockerRig(logs)) {
        String agent = rig.agentSidecarImage();
        String volume = rig.engine.sidecarVolumeOf(agent);
        rig.removesLater(volume);
        SidecarPlant.plant(rig.docker, rig.taskImage, volume, "echo PLANTED-ENTRYPOINT");
        DockerBackend backend = rig.backend(Map.of());
        TaskSpec task = rig.task("echo task ran", List.of(new Sidecar(agent, "/agent", false)));

        HardenedDockerRig.Run run = rig.runToEnd(backend, task);

        assertThat(run.outcome.get()).isInstanceOf(TaskOutcome.Succeeded.class);
        assertThat(rig.log(task).lines())
            .contains("arg[1]=agent", "task ran")
            .doesNotContain("PLANTED-ENTRYPOINT");
        assertThat(rig.docker.inspectVolumeCmd(volume).exec().getLabels())
            .as("refilled by the worker")
            .containsEntry(
                "ozworker.dev/sidecar-digest", rig.docker.inspectImageCmd(agent).exec().getId());
      }
    }
  }

  /** Item 3: Docker task containers are hardened by default. */
  @Nested
  class DockerHardening {
    /** Bits of the capability set: NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE. */
    static final long DROPPED = (1L << 13) | (1L << 18) | (1L << 27) | (1L << 29);

    @Test
    void aRunningTaskContainerIsConfinedAsConfigured(@TempDir Path logs) throws Exception {
      try (HardenedDockerRig rig = new HardenedDockerRig(logs)) {
        String agent = rig.agentSidecarImage();
        DockerBackend backend =
            rig.backend(Map.of("default_memory", "512Mi", "default_cpus", "1500m"));
        TaskSpec task =
            rig.task(
                "/bin/busybox grep -E '^(NoNewPrivs|CapBnd):' /proc/self/status; echo up; sleep"
                    + " 300",
                List.of(new Sidecar(agent, "/agent", false)));

        HardenedDockerRig.Run run = rig.start(backend, task);
        run.awaitRunning();
        await().atMost(DEADLINE).until(() -> rig.log(task).lines().anyMatch("up"::equals));
        HostConfig host = rig.inspect(task).getHostConfig();
        String log = rig.log(task);
        backend.cancel(run.ref, Duration.ZERO);

        assertThat(host.getSecurityOpts()).containsExactly("no-new-privileges");
        assertThat(host.getPidsLimit()).isEqualTo(4096L);
        assertThat(host.getCapDrop())
            .containsExactlyInAnyOrder(
                Capability.NET_RAW,
                Capability.MKNOD,
                Capability.AUDIT_WRITE,
                Capability.SYS_CHROOT);
        assertThat(host.getMemory()).as("no instance shape: the default").isEqualTo(512L << 20);
        assertThat(host.getMemorySwap()).isEqualTo(512L << 20);
        assertThat(host.getNanoCPUs()).isEqualTo(1_500_000_000L);
        assertThat(log).containsPattern("NoNewPrivs:\\s+1");
        String bounding =
            log.lines().filter(l -> l.startsWith("CapBnd:")).findFirst().orElseThrow();
        long capabilities = Long.parseUnsignedLong(bounding.substring(7).trim(), 16);
        assertThat(capabilities & DROPPED).as("dropped from %s", bounding).isZero();
        assertThat(capabilities).as("the engine's other defaults kept").isNotZero();
      }
    }

    @Test
    void eachConfinementCanBeTurnedOff(@TempDir Path logs) throws Exception {
      try (HardenedDockerRig rig = new HardenedDockerRig(logs)) {
        String agent = rig.agentSidecarImage();
        DockerBackend backend =
            rig.backend(Map.of("no_new_privileges", false, "pids_limit", 0, "cap_drop", List.of()));
        TaskSpec task = rig.task("echo plain", List.of(new Sidecar(agent, "/agent", false)));

        HardenedDockerRig.Run run = rig.start(backend, task);
        run.outcome.get(DEADLINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        HostConfig host = rig.inspect(task).getHostConfig();

        assertThat(host.getSecurityOpts()).isNullOrEmpty();
        assertThat(host.getPidsLimit()).isIn(null, 0L, -1L);
        assertThat(host.getCapDrop()).isNullOrEmpty();
        assertThat(host.getMemory()).isIn(null, 0L);
      }
    }
  }

  /** Item 4: secrets reach no agent, hook or log by a side door. */
  @Nested
  class SecretSideDoors {
    static final String PEM =
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n"
            + "-----END PRIVATE KEY-----";
    static final String SETUP_TOKEN = "setup-made-token-93f1";

    DirectSideDoorRig rig;

    @BeforeEach
    void rig() throws Exception {
      rig = new DirectSideDoorRig();
    }

    @AfterEach
    void close() throws Exception {
      rig.close();
    }

    @Test
    void hooksGetNoneOfTheWorkersSecretsAndTheDotenvExpandsOnlyWhatTheAgentHasAnyway()
        throws Exception {
      String setup =
          "env >\"$RECORDS/setup-env\"; printf '%s\\n' 'LEAK_KEY=$WARP_API_KEY'"
              + " 'LEAK_DB=${DB_PASSWORD}' 'FROM_TASK=$TASK_PLAIN' >\"$OZ_ENVIRONMENT_FILE\"";
      WorkerConfig config =
          rig.config(
              Map.of(
                  "setup_command",
                  setup,
                  "teardown_command",
                  "env >" + rig.records.resolve("teardown-env")));

      TaskOutcome outcome =
          rig.run(config, "hooks", Map.of("TASK_PLAIN", "plain-value"), Map.of(), null);

      assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
      for (String hook : List.of("setup-env", "teardown-env")) {
        assertThat(rig.record(hook))
            .as(hook)
            .contains("PATH=")
            .doesNotContain(DirectSideDoorRig.WORKER_KEY, DirectSideDoorRig.DB_PASSWORD)
            .doesNotContain("WARP_API_KEY=", "DB_PASSWORD=");
      }
      assertThat(rig.strings("agent-environ"))
          .contains("LEAK_KEY=", "LEAK_DB=", "FROM_TASK=plain-value")
          .noneMatch(
              variable ->
                  variable.contains(DirectSideDoorRig.WORKER_KEY)
                      || variable.contains(DirectSideDoorRig.DB_PASSWORD));
    }

    @Test
    void theLogFileMasksASecretSpanningLinesAndWhatSetupAdded() throws Exception {
      WorkerConfig config =
          rig.config(
              Map.of(
                  "setup_command",
                  "echo 'SETUP_TOKEN=" + SETUP_TOKEN + "' >\"$OZ_ENVIRONMENT_FILE\""));

      TaskOutcome outcome =
          rig.run(
              config,
              "masks",
              Map.of("AGENT_SCRIPT", "printf '%s\\n' \"$PEM_KEY\"; echo \"token $SETUP_TOKEN\""),
              Map.of("PEM_KEY", PEM),
              null);

      assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
      assertThat(rig.log("masks"))
          .contains("token " + Redactor.MASK)
          .doesNotContain(SETUP_TOKEN, "MIIEvQIBADAN", "BKcwggSj", "BEGIN PRIVATE KEY");
    }

    @Test
    void theMcpConfigurationIsOnNoCommandLineButReachesTheAgent() throws Exception {
      String json = "{\"db\":{\"command\":\"db-mcp\",\"env\":{\"DB_TOKEN\":\"mcp-env-44aa\"}}}";

      TaskOutcome outcome =
          rig.run(rig.config(Map.of()), "mcp", Map.of(), Map.of(), "{\"mcpServers\":" + json + "}");

      assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
      assertThat(rig.record("agent-cmdline")).contains("--mcp").doesNotContain("mcp-env-44aa");
      assertThat(rig.record("wrapper-cmdline")).doesNotContain("mcp-env-44aa");
      assertThat(rig.record("mcp")).isEqualTo(json);
    }

    @Test
    void teardownsGitReadsNoConfigTheAgentWrote() throws Exception {
      String agent =
          "git config --global user.name agent-chosen && git init -q ."
              + " && mkdir .hooks && printf '#!/bin/sh\\ntouch \"$RECORDS/hook-ran\"\\n'"
              + " >.hooks/pre-commit && chmod +x .hooks/pre-commit"
              + " && git config core.hooksPath \"$PWD/.hooks\" && touch \"$RECORDS/agent-done\"";
      String teardown =
          "git config --get user.name >"
              + rig.records.resolve("teardown-user")
              + "; RECORDS="
              + rig.records
              + " git -c user.name=t -c user.email=t@example.com commit -q --allow-empty -m t;"
              + " touch "
              + rig.records.resolve("teardown-done");

      TaskOutcome outcome =
          rig.run(
              rig.config(Map.of("teardown_command", teardown)),
              "git",
              Map.of("AGENT_SCRIPT", agent),
              Map.of(),
              null);

      assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
      assertThat(rig.records.resolve("agent-done")).exists();
      assertThat(rig.records.resolve("teardown-done")).exists();
      assertThat(rig.record("teardown-user")).as("the agent's global git config").isEmpty();
      assertThat(rig.records.resolve("hook-ran")).as("the agent's hook").doesNotExist();
    }
  }

  /** Item 5: what an agent on the Direct backend can reach of the worker. */
  @Nested
  class DirectExposure {
    DirectSideDoorRig rig;

    @BeforeEach
    void rig() throws Exception {
      rig = new DirectSideDoorRig();
    }

    @AfterEach
    void close() throws Exception {
      rig.close();
    }

    @Test
    void anAgentUnderRunAsUidCannotReadATokenThatOnlyTheWorkersUidMayRead() throws Exception {
      Path token = rig.root.resolve("token");
      Files.writeString(token, "service-account-token");
      Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("r--------"));
      WorkerConfig config =
          rig.config(
              Map.of(
                  "run_as_uid",
                  65534,
                  "setup_command",
                  "id -u >\"$RECORDS/setup-uid\"",
                  "teardown_command",
                  "id -u >" + rig.records.resolve("teardown-uid")));

      TaskOutcome outcome =
          rig.run(config, "exposure", Map.of("TOKEN_FILE", token.toString()), Map.of(), null);

      assertThat(outcome).isInstanceOf(TaskOutcome.Succeeded.class);
      assertThat(Files.readString(token))
          .as("the worker reads it")
          .isEqualTo("service-account-token");
      assertThat(rig.record("token-status").strip()).as("the agent does not").isEqualTo("refused");
      assertThat(rig.record("agent-uid").strip()).isEqualTo("65534");
      assertThat(rig.record("setup-uid").strip()).isEqualTo("65534");
      assertThat(rig.record("teardown-uid").strip()).isEqualTo("65534");
    }

    @Test
    void theDirectOverlayRunsAgentsUnderAnotherUidAndMountsTheTokenForTheWorkerOnly()
        throws Exception {
      String overlay = Files.readString(Path.of("manifests/overlays/direct/direct-backend.yaml"));

      assertThat(overlay)
          .contains("run_as_uid: 65534", "automountServiceAccountToken: false")
          .contains("serviceAccountToken:", "defaultMode: 0400")
          .contains("add: [\"SETUID\", \"SETGID\"", "runAsUser: 0");
    }
  }

  /** Item 6: transport to Oz. */
  @Nested
  class Transport {
    static final String URL_SECRET = "URLSECRET-6f1d";

    @Test
    void anUnencryptedLinkToAnotherHostIsRefusedUnlessExplicitlyAllowed() throws Exception {
      String remote = "ws://pool:" + URL_SECRET + "@oz.example.com/api/v1/selfhosted/worker/ws";

      assertThatThrownBy(
              () ->
                  WorkerConfigs.resolve(
                      "",
                      Map.of("WARP_API_KEY", "k"),
                      "--worker-id=w1",
                      "--web-socket-url=" + remote))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("--web-socket-url ws://oz.example.com/api/v1/selfhosted/worker/ws")
          .hasMessageContaining("use wss://")
          .hasMessageContaining("--allow-insecure-websocket")
          .message()
          .doesNotContain(URL_SECRET);
      assertThat(
              WorkerConfigs.resolve(
                      "",
                      Map.of("WARP_API_KEY", "k"),
                      "--worker-id=w1",
                      "--web-socket-url=" + remote,
                      "--allow-insecure-websocket")
                  .webSocketUrl())
          .hasToString(remote);
      assertThat(
              WorkerConfigs.resolve(
                      "",
                      Map.of("WARP_API_KEY", "k"),
                      "--worker-id=w1",
                      "--web-socket-url=ws://127.0.0.1:9/ws")
                  .webSocketUrl())
          .as("loopback, as every test dials")
          .hasToString("ws://127.0.0.1:9/ws");
    }

    @Test
    void theLinksLogLinesNeverCarryTheUrlsUserInformation() throws Exception {
      FakeOzServer oz = FakeOzServer.start(TransportLink.API_KEY);
      URI plain = oz.webSocketUrl();
      URI withUserInfo =
          URI.create(
              plain.getScheme()
                  + "://pool:"
                  + URL_SECRET
                  + "@"
                  + plain.getRawAuthority()
                  + plain.getRawPath());
      boolean serverClosed = false;
      // the lines this test reads are INFO and WARN ones; whatever ran before in this JVM may
      // have set another level
      LogSetup.apply(LogLevel.info, LogFormat.text);
      try (LogCapture logs = LogCapture.start();
          OzLink link = TransportLink.open(withUserInfo, "w-transport")) {
        await().atMost(DEADLINE).until(() -> logs.text().contains("connected to Oz at"));
        oz.refuseConnections(true);
        oz.drop("w-transport");
        await()
            .atMost(DEADLINE)
            .until(() -> logs.text().contains("Oz refused the WebSocket upgrade at"));
        oz.close();
        serverClosed = true;
        await().atMost(DEADLINE).until(() -> logs.text().contains("cannot reach Oz at"));

        assertThat(logs.text())
            .contains("lost the connection to Oz", plain.getRawAuthority() + plain.getRawPath())
            .doesNotContain(URL_SECRET, "://pool");
      } finally {
        if (!serverClosed) {
          oz.close();
        }
      }
    }
  }
}
