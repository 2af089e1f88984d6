package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds a run's container on the engine: by the id in its reference, else by the run-id label (the
 * reference of a run whose container was created after the reference was stored has none).
 */
final class RunLookup {
  private final DockerClient docker;

  RunLookup(DockerClient docker) {
    this.docker = docker;
  }

  Optional<InspectContainerResponse> find(BackendRef ref) {
    if (ref.containerId() != null && !ref.containerId().isBlank()) {
      Optional<InspectContainerResponse> byId = inspect(ref.containerId());
      if (byId.isPresent()) {
        return byId;
      }
    }
    List<Container> labelled =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(DockerLabels.RUN_ID, ref.runId()))
            .exec();
    return labelled.stream()
        .max(Comparator.comparing(Container::getCreated))
        .flatMap(container -> inspect(container.getId()));
  }

  /** The failure of a reattach that found nothing, saying what was looked for. */
  TaskFailure notFound(BackendRef ref) {
    String label = DockerLabels.RUN_ID + "=" + ref.runId();
    String lookedFor =
        ref.containerId() == null || ref.containerId().isBlank()
            ? "no container labelled " + label
            : "neither container " + ref.containerId() + " nor a container labelled " + label;
    return new TaskFailure(
        FailureReason.CONTAINER_WAIT,
        "the worker restarted and found " + lookedFor + " on the Docker engine");
  }

  private Optional<InspectContainerResponse> inspect(String id) {
    try {
      return Optional.of(docker.inspectContainerCmd(id).exec());
    } catch (NotFoundException absent) {
      return Optional.empty();
    }
  }
}
