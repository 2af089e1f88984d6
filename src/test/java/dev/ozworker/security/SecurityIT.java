package dev.ozworker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.backend.docker.DockerBackend;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.ConfigException;
import dev.ozworker.observe.LogCapture;
import dev.ozworker.oz.OzLink;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.task.Sidecar;
import dev.ozworker.task.TaskSpec;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
    // item 1
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
    // item 4
  }

  /** Item 5: what an agent on the Direct backend can reach of the worker. */
  @Nested
  class DirectExposure {
    // item 5
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
