package dev.ozworker.backend.docker;

import static dev.ozworker.backend.docker.FakeDockerEngine.PLATFORM;
import static dev.ozworker.backend.docker.FakeEngineRig.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.task.Sidecar;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No task writes to a sidecar volume another task mounts: a read-write sidecar gets a copy of its
 * own, removed with the run, and a shared volume is mounted only when this worker filled it from
 * the image of that digest.
 */
class SidecarVolumeTrustTest {
  static final String IMAGE = "example.com/task:1";
  static final String AGENT = "example.com/agent-sidecar:2";
  static final String DIGEST = "sha256:" + EngineJson.hex("registry " + AGENT);
  static final String SHARED = SidecarVolumes.volumeName(AGENT, DIGEST);

  @TempDir Path dir;
  FakeEngineRig rig;

  @AfterEach
  void close() {
    rig.close();
  }

  FakeEngineRig rig(boolean cleanup) {
    rig = new FakeEngineRig(dir, "", cleanup);
    rig.engine.images.onEngine(IMAGE, PLATFORM).inRegistry(AGENT, PLATFORM);
    return rig;
  }

  @Test
  void aReadWriteSidecarGetsACopyOfItsOwnThatGoesWithTheRun() throws Exception {
    rig(true);
    List<Sidecar> sidecars =
        List.of(new Sidecar(AGENT, "/agent", false), new Sidecar(AGENT, "/mnt/scratch", true));

    rig.running(spec("rw-1", IMAGE, sidecars));
    String copy = "oz-rw-1-sidecar-1";

    assertThat(rig.container("rw-1").spec.binds())
        .containsExactly(SHARED + ":/agent:ro", copy + ":/mnt/scratch:rw");
    assertThat(rig.engine.volumes.all().get(copy))
        .containsEntry(DockerLabels.SIDECAR_RUN, "rw-1")
        .doesNotContainKey(DockerLabels.SIDECAR_IMAGE);
    assertThat(rig.engine.volumes.contents(copy)).hasValue(("filesystem of " + AGENT).getBytes());
    assertThat(rig.engine.volumes.all().get(SHARED))
        .containsEntry(DockerLabels.SIDECAR_DIGEST, DIGEST);

    rig.engine.exit(FakeEngineRig.name("rw-1"), 0, false);
    assertThat(rig.backend.cleanup(FakeEngineRig.ref("rw-1", null)).toCompletableFuture().get())
        .isEmpty();

    assertThat(rig.engine.volumes.all()).containsOnlyKeys(SHARED);
  }

  @Test
  void withCleanupOffTheRunsCopyStaysWithItsContainer() throws Exception {
    rig(false);

    rig.running(spec("rw-kept", IMAGE, List.of(new Sidecar(AGENT, "/agent", true))));
    rig.engine.exit(FakeEngineRig.name("rw-kept"), 0, false);
    rig.backend.cleanup(FakeEngineRig.ref("rw-kept", null)).toCompletableFuture().get();

    assertThat(rig.engine.volumes.all()).containsOnlyKeys("oz-rw-kept-sidecar-0");
  }

  @Test
  void aVolumeOfTheExpectedNameThisWorkerDidNotFillIsReplaced() throws Exception {
    rig(true);
    rig.engine.volumes.create(SHARED, Map.of());

    rig.running(spec("after-planted", IMAGE, List.of(new Sidecar(AGENT, "/agent", false))));

    assertThat(rig.engine.calls()).contains("removeVolume " + SHARED);
    assertThat(rig.engine.volumes.all().get(SHARED))
        .containsEntry(DockerLabels.SIDECAR_IMAGE, AGENT)
        .containsEntry(DockerLabels.SIDECAR_DIGEST, DIGEST);
    assertThat(rig.engine.volumes.contents(SHARED)).hasValue(("filesystem of " + AGENT).getBytes());
    assertThat(rig.container("after-planted").spec.binds()).containsExactly(SHARED + ":/agent:ro");
  }

  @Test
  void aVolumeLabelledForAnotherDigestIsReplaced() throws Exception {
    rig(true);
    rig.engine.volumes.create(
        SHARED,
        Map.of(DockerLabels.SIDECAR_IMAGE, AGENT, DockerLabels.SIDECAR_DIGEST, "sha256:other"));

    rig.running(spec("after-other", IMAGE, List.of(new Sidecar(AGENT, "/agent", false))));

    assertThat(rig.engine.volumes.all().get(SHARED))
        .containsEntry(DockerLabels.SIDECAR_DIGEST, DIGEST);
    assertThat(rig.engine.volumes.contents(SHARED)).hasValue(("filesystem of " + AGENT).getBytes());
  }

  @Test
  void anUntrustedVolumeAContainerStillMountsIsLeftAloneAndTheTaskGetsItsOwnCopy()
      throws Exception {
    rig(true);
    rig.engine.volumes.create(SHARED, Map.of());
    rig.engine.existing(
        new FakeDockerClient.Created(
            "someone-elses",
            IMAGE,
            Map.of(),
            List.of(),
            List.of(),
            List.of(SHARED + ":/agent:rw"),
            Optional.empty(),
            Optional.empty()),
        "running");

    rig.running(spec("beside", IMAGE, List.of(new Sidecar(AGENT, "/agent", false))));

    assertThat(rig.container("beside").spec.binds())
        .containsExactly("oz-beside-sidecar-0:/agent:ro");
    assertThat(rig.engine.volumes.all().get(SHARED)).isEmpty();
  }

  @Test
  void aVolumeThisWorkerFilledIsMountedAsItIs() throws Exception {
    rig(true);
    List<Sidecar> sidecars = List.of(new Sidecar(AGENT, "/agent", false));

    rig.running(spec("first", IMAGE, sidecars));
    rig.running(spec("second", IMAGE, sidecars));

    assertThat(rig.engine.calls("createVolume")).hasSize(1);
    assertThat(rig.engine.calls("removeVolume")).isEmpty();
  }
}
