package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
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
final class TaskContainers {
  private final DockerClient docker;

  TaskContainers(DockerClient docker) {
    this.docker = docker;
  }

  Optional<InspectContainerResponse> find(BackendRef ref) {
    return find(ref, Optional.empty());
  }

  /**
   * The run's container; with {@code executionId}, only that execution's, so a container an earlier
   * execution of the run left is never taken for this one's.
   */
  Optional<InspectContainerResponse> find(BackendRef ref, Optional<String> executionId) {
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
            .withLabelFilter(
                executionId
                    .filter(id -> !id.isEmpty())
                    .map(
                        id ->
                            Map.of(DockerLabels.RUN_ID, ref.runId(), DockerLabels.EXECUTION_ID, id))
                    .orElse(Map.of(DockerLabels.RUN_ID, ref.runId())))
            .exec();
    return labelled.stream()
        .max(Comparator.comparing(Container::getCreated))
        .flatMap(container -> inspect(container.getId()));
  }

  String create(ContainerSpec spec) throws TaskFailure {
    HostConfig host =
        HostConfig.newHostConfig().withBinds(spec.binds().stream().map(Bind::parse).toList());
    spec.memoryBytes().ifPresent(bytes -> host.withMemory(bytes).withMemorySwap(bytes));
    spec.nanoCpus().ifPresent(host::withNanoCPUs);
    spec.networkMode().ifPresent(host::withNetworkMode);
    ContainerHardening hardening = spec.hardening();
    host.withSecurityOpts(hardening.securityOpts());
    hardening.pidsLimit().ifPresent(host::withPidsLimit);
    if (!hardening.capDrop().isEmpty()) {
      host.withCapDrop(hardening.capDrop().toArray(Capability[]::new));
    }
    CreateContainerCmd create =
        docker
            .createContainerCmd(spec.image())
            .withName(spec.name())
            .withLabels(spec.labels())
            .withCmd(spec.cmd())
            .withEnv(spec.env())
            .withWorkingDir(spec.workingDir())
            .withHostConfig(host);
    try {
      return create.exec().getId();
    } catch (RuntimeException e) {
      // the engine's message names the image or the conflicting name, never the env
      throw new TaskFailure(
          FailureReason.CONTAINER_CREATE,
          null,
          "cannot create container " + spec.name() + ": " + e.getMessage(),
          e);
    }
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
