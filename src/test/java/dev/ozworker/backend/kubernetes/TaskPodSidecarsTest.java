package dev.ozworker.backend.kubernetes;

import static dev.ozworker.backend.kubernetes.PodFixtures.container;
import static dev.ozworker.backend.kubernetes.PodFixtures.initContainer;
import static dev.ozworker.backend.kubernetes.PodFixtures.settings;
import static dev.ozworker.backend.kubernetes.PodFixtures.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.task.Sidecar;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TaskPodSidecarsTest {
  static final Sidecar AGENT = new Sidecar("warpdotdev/agent:1.2", "/agent", false);
  static final Sidecar CLI =
      new Sidecar("example.com/claude-cli:3", "/mnt/claude-cli-sidecar", true);

  @Test
  void eachSidecarIsCopiedIntoAnEmptyDirByAnInitContainerOfItsImage() throws Exception {
    Pod pod = TaskPods.build(task().sidecars(AGENT, CLI).build(), settings().build());

    assertThat(pod.getSpec().getVolumes())
        .extracting(Volume::getName)
        .containsExactly("workspace", "sidecar-0-data", "sidecar-1-data");
    assertThat(pod.getSpec().getVolumes().get(1).getEmptyDir()).isNotNull();
    Container copy = initContainer(pod, "copy-sidecar-1");
    assertThat(copy.getImage()).isEqualTo(CLI.image());
    assertThat(copy.getCommand()).containsExactly("/bin/sh", "-c", PodSidecars.COPY_SCRIPT);
    assertThat(PodSidecars.COPY_SCRIPT)
        .contains(
            "--exclude=./target",
            "--exclude=./proc",
            "--exclude=./sys",
            "--exclude=./dev",
            "--exclude=./.dockerenv",
            "--exclude=./var/run/secrets",
            "--exclude=./run/secrets",
            "-C / -cf - .",
            "tar --no-same-owner --no-same-permissions -C /target -xf -");
    assertThat(copy.getSecurityContext().getRunAsUser()).isZero();
    assertThat(copy.getVolumeMounts())
        .singleElement()
        .satisfies(
            mount -> {
              assertThat(mount.getName()).isEqualTo("sidecar-1-data");
              assertThat(mount.getMountPath()).isEqualTo("/target");
              assertThat(mount.getReadOnly()).isNull();
            });
    assertThat(container(pod, "task").getVolumeMounts())
        .extracting(VolumeMount::getName, VolumeMount::getMountPath, VolumeMount::getReadOnly)
        .containsExactly(
            tuple("workspace", "/workspace", null),
            tuple("sidecar-0-data", "/agent", true),
            tuple("sidecar-1-data", "/mnt/claude-cli-sidecar", null));
  }

  @Test
  void withImageVolumesTheKubeletMountsEachImageReadOnlyAndNothingIsCopied() throws Exception {
    Sidecar cli = new Sidecar(CLI.image(), CLI.mountPath(), false);

    Pod pod =
        TaskPods.build(
            task().sidecars(AGENT, cli).build(),
            settings().imageVolumes().pullPolicy("Always").build());

    assertThat(pod.getSpec().getInitContainers()).isEmpty();
    Volume agent = pod.getSpec().getVolumes().get(1);
    assertThat(agent.getName()).isEqualTo("sidecar-0-image");
    assertThat(agent.getImage().getReference()).isEqualTo(AGENT.image());
    assertThat(agent.getImage().getPullPolicy()).isEqualTo("Always");
    assertThat(container(pod, "task").getVolumeMounts())
        .extracting(VolumeMount::getName, VolumeMount::getReadOnly)
        .containsExactly(
            tuple("workspace", null),
            tuple("sidecar-0-image", true),
            tuple("sidecar-1-image", true));
  }

  static Stream<Arguments> unmountableSidecars() {
    return Stream.of(
        Arguments.of(List.of(new Sidecar("", "/mnt/x", false)), false, "has no image", "/mnt/x"),
        Arguments.of(
            List.of(new Sidecar("img:1", "", false)), false, "img:1 has no mount path", "img:1"),
        Arguments.of(
            List.of(new Sidecar("img:1", "/workspace", false)),
            false,
            "mounts at /workspace",
            "elsewhere"),
        Arguments.of(
            List.of(AGENT, new Sidecar("other:2", "/agent", false)),
            false,
            "other:2 mounts at /agent, where another sidecar is",
            "other:2"),
        Arguments.of(List.of(AGENT, CLI), true, "/mnt/claude-cli-sidecar", "read-only"));
  }

  @ParameterizedTest
  @MethodSource("unmountableSidecars")
  void aSidecarThatCannotBeMountedFailsTheTaskAsSidecarPrep(
      List<Sidecar> sidecars, boolean imageVolumes, String says, String alsoSays) {
    PodFixtures.Settings settings = settings();
    if (imageVolumes) {
      settings.imageVolumes();
    }

    assertThatThrownBy(
            () ->
                TaskPods.build(
                    task().sidecars(sidecars.toArray(Sidecar[]::new)).build(), settings.build()))
        .isInstanceOfSatisfying(
            TaskFailure.class,
            failure -> assertThat(failure.reason()).isEqualTo(FailureReason.SIDECAR_PREP))
        .hasMessageContaining(says)
        .hasMessageContaining(alsoSays);
  }

  @Test
  void aTaskWithoutSidecarsHasOnlyTheWorkspace() throws Exception {
    Pod pod = TaskPods.build(task().sidecars().build(), settings().build());

    assertThat(pod.getSpec().getVolumes()).extracting(Volume::getName).containsExactly("workspace");
    assertThat(pod.getSpec().getInitContainers()).isEmpty();
  }
}
