package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * A run's own copies of sidecar images: for a sidecar the task may write to, and for a shared
 * volume that cannot be trusted nor replaced. Labelled with the run id, so the run's cleanup finds
 * them also after the worker restarted.
 */
final class RunSidecarCopies {
  private final DockerClient docker;
  private final VolumeFill fill;
  private final Clock clock;

  RunSidecarCopies(DockerClient docker, VolumeFill fill, Clock clock) {
    this.docker = docker;
    this.fill = fill;
    this.clock = clock;
  }

  /**
   * A fresh copy of {@code image} for the run's sidecar number {@code index}, replacing one an
   * earlier attempt of the run left.
   *
   * @return the copy's volume
   */
  String copy(String runId, int index, String image) throws TaskFailure {
    String volume = ContainerSpecs.containerName(runId) + "-sidecar-" + index;
    try {
      fill.clearUnfinished(volume);
      if (fill.labels(volume).isPresent()) {
        docker.removeVolumeCmd(volume).exec();
      }
      fill.fill(
          volume,
          image,
          Map.of(
              DockerLabels.SIDECAR_RUN, runId, DockerLabels.CREATED, clock.instant().toString()));
      return volume;
    } catch (RuntimeException e) {
      throw VolumeFill.failed(image, volume, e);
    }
  }

  /**
   * Removes the run's copies, found by label; a mounted one stays, as the engine refuses to remove
   * it, so the run's container goes first.
   *
   * @return the failure to remove one, if any
   */
  Optional<TaskFailure> remove(String runId) {
    try {
      for (InspectVolumeResponse volume :
          fill.volumesLabelled(DockerLabels.SIDECAR_RUN + "=" + runId)) {
        try {
          docker.removeVolumeCmd(volume.getName()).exec();
        } catch (NotFoundException gone) {
          // removed meanwhile
        }
      }
      return Optional.empty();
    } catch (RuntimeException e) {
      return Optional.of(
          new TaskFailure(
              FailureReason.CLEANUP,
              null,
              "cannot remove the sidecar copies of run " + runId + ": " + e.getMessage(),
              e));
    }
  }
}
