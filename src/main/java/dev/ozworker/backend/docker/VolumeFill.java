package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies an image's filesystem into a new named volume. Neither container involved runs: the engine
 * exports one's filesystem and unpacks it into the other's volume, so the image needs no shell or
 * tar of its own. The container holding the volume during the copy is labelled with the volume's
 * name, so one left behind by a worker that died mid-copy marks the volume unfinished.
 */
final class VolumeFill {
  private static final Logger LOG = LoggerFactory.getLogger(VolumeFill.class);

  private final DockerClient docker;

  VolumeFill(DockerClient docker) {
    this.docker = docker;
  }

  /**
   * Creates {@code volume} with {@code labels} and copies {@code image} into it; on failure removes
   * what it made and rethrows.
   */
  void fill(String volume, String image, Map<String, String> labels) {
    LOG.info("copying sidecar image {} into volume {}", image, volume);
    docker.createVolumeCmd().withName(volume).withLabels(labels).exec();
    String source = null;
    String target = null;
    try {
      source = docker.createContainerCmd(image).withCmd("true").exec().getId();
      target =
          docker
              .createContainerCmd(image)
              .withCmd("true")
              .withLabels(Map.of(DockerLabels.SIDECAR_FILL, volume))
              .withHostConfig(
                  HostConfig.newHostConfig().withBinds(Bind.parse(volume + ":/ozworker-fill")))
              .exec()
              .getId();
      try (InputStream tar = docker.copyArchiveFromContainerCmd(source, "/").exec()) {
        docker
            .copyArchiveToContainerCmd(target)
            .withRemotePath("/ozworker-fill")
            .withCopyUIDGID(true)
            .withTarInputStream(tar)
            .exec();
      } catch (IOException e) {
        throw new IllegalStateException("the copy stream broke: " + e.getMessage(), e);
      }
    } catch (RuntimeException e) {
      removeQuietly(target);
      target = null;
      try {
        docker.removeVolumeCmd(volume).exec();
      } catch (RuntimeException ignored) {
        // left behind, it is refilled next time: its fill container marks it unfinished
      }
      throw e;
    } finally {
      removeQuietly(source);
      removeQuietly(target);
    }
  }

  /**
   * Whether a copy into {@code volume} was left unfinished; removes the containers that show it.
   */
  boolean clearUnfinished(String volume) {
    var unfinished =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(DockerLabels.SIDECAR_FILL, volume))
            .exec();
    unfinished.forEach(c -> docker.removeContainerCmd(c.getId()).withForce(true).exec());
    return !unfinished.isEmpty();
  }

  /** The volume's labels, empty when it has none; empty when there is no such volume. */
  Optional<Map<String, String>> labels(String volume) {
    try {
      InspectVolumeResponse found = docker.inspectVolumeCmd(volume).exec();
      return Optional.of(found.getLabels() == null ? Map.of() : new HashMap<>(found.getLabels()));
    } catch (NotFoundException absent) {
      return Optional.empty();
    }
  }

  /** The volumes with {@code label} ({@code key} or {@code key=value}). */
  List<InspectVolumeResponse> volumesLabelled(String label) {
    List<InspectVolumeResponse> volumes =
        docker.listVolumesCmd().withFilter("label", List.of(label)).exec().getVolumes();
    return volumes == null ? List.of() : volumes;
  }

  /** The failure of a task whose sidecar image could not be copied into {@code volume}. */
  static TaskFailure failed(String image, String volume, RuntimeException e) {
    return new TaskFailure(
        FailureReason.SIDECAR_PREP,
        null,
        "cannot copy sidecar image " + image + " into volume " + volume + ": " + e.getMessage(),
        e);
  }

  private void removeQuietly(String container) {
    if (container != null) {
      try {
        docker.removeContainerCmd(container).withForce(true).exec();
      } catch (RuntimeException e) {
        LOG.warn("cannot remove sidecar copy container {}: {}", container, e.getMessage());
      }
    }
  }
}
