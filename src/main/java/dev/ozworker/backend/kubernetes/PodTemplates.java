package dev.ozworker.backend.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's {@code pod_template} with the worker's containers and volumes merged in, as the
 * reference worker merges them: the template decides everything the worker does not need (node
 * selection, tolerations, service account, further containers, native sidecars), the worker decides
 * what makes the Pod run the task.
 */
final class PodTemplates {
  private PodTemplates() {}

  /**
   * A copy of {@code template} (the template is never changed) with the worker's init containers
   * before the template's (a template's native sidecars, init containers with {@code restartPolicy:
   * Always}, so start once the task's files are in place), the worker's volumes after the
   * template's, and the task container: a template container named {@code task} is taken over (see
   * {@link #takeOver}), otherwise {@code task} is appended.
   *
   * @throws IllegalArgumentException when the template uses a container or volume name the worker
   *     needs
   */
  static PodSpec merge(
      Optional<PodSpec> template,
      List<Container> initContainers,
      List<Volume> volumes,
      Container task) {
    PodSpec pod = template.map(spec -> new PodSpecBuilder(spec).build()).orElseGet(PodSpec::new);
    refuseClashes(pod, initContainers, volumes);
    List<Container> inits = new ArrayList<>(initContainers);
    inits.addAll(pod.getInitContainers());
    pod.setInitContainers(inits);
    List<Volume> allVolumes = new ArrayList<>(pod.getVolumes());
    allVolumes.addAll(volumes);
    pod.setVolumes(allVolumes);
    List<Container> containers = new ArrayList<>(pod.getContainers());
    int index = indexOf(containers, task.getName());
    if (index >= 0) {
      containers.set(index, takeOver(containers.get(index), task));
    } else {
      containers.add(task);
    }
    pod.setContainers(containers);
    return pod;
  }

  /**
   * The template's {@code task} container running the worker's task: image, command, arguments,
   * working directory and termination-message path are the worker's; the pull policy only when the
   * template sets none; the worker's mounts follow the template's; environment merged by name with
   * the worker's value winning (in the template's position); resources merged by name with the
   * task's shape winning; the worker's security context only when the template sets none.
   */
  static Container takeOver(Container template, Container worker) {
    Container task = new ContainerBuilder(template).build();
    task.setImage(worker.getImage());
    task.setCommand(new ArrayList<>(worker.getCommand()));
    task.setArgs(new ArrayList<>(worker.getArgs()));
    task.setWorkingDir(worker.getWorkingDir());
    task.setTerminationMessagePath(worker.getTerminationMessagePath());
    if (task.getImagePullPolicy() == null || task.getImagePullPolicy().isEmpty()) {
      task.setImagePullPolicy(worker.getImagePullPolicy());
    }
    List<VolumeMount> mounts = new ArrayList<>(task.getVolumeMounts());
    mounts.addAll(worker.getVolumeMounts());
    task.setVolumeMounts(mounts);
    task.setEnv(PodEnv.merge(task.getEnv(), worker.getEnv()));
    task.setResources(mergeResources(task.getResources(), worker.getResources()));
    if (task.getSecurityContext() == null) {
      task.setSecurityContext(worker.getSecurityContext());
    }
    return task;
  }

  /** {@code base}'s requests and limits with {@code override}'s put over them, name by name. */
  static ResourceRequirements mergeResources(
      ResourceRequirements base, ResourceRequirements override) {
    if (base == null) {
      return override;
    }
    if (override == null) {
      return base;
    }
    ResourceRequirements merged = new ResourceRequirementsBuilder(base).build();
    merged.setRequests(overlay(base.getRequests(), override.getRequests()));
    merged.setLimits(overlay(base.getLimits(), override.getLimits()));
    return merged;
  }

  private static Map<String, Quantity> overlay(
      Map<String, Quantity> base, Map<String, Quantity> override) {
    Map<String, Quantity> merged = new LinkedHashMap<>();
    if (base != null) {
      merged.putAll(base);
    }
    if (override != null) {
      merged.putAll(override);
    }
    return merged;
  }

  private static void refuseClashes(
      PodSpec template, List<Container> initContainers, List<Volume> volumes) {
    Set<String> containerNames = new HashSet<>();
    template.getInitContainers().forEach(container -> containerNames.add(container.getName()));
    template.getContainers().forEach(container -> containerNames.add(container.getName()));
    for (Container container : initContainers) {
      if (containerNames.contains(container.getName())) {
        throw new IllegalArgumentException(
            "pod_template has a container named "
                + container.getName()
                + ", a name the worker gives its own init container: rename it");
      }
    }
    Set<String> volumeNames = new HashSet<>();
    template.getVolumes().forEach(volume -> volumeNames.add(volume.getName()));
    for (Volume volume : volumes) {
      if (volumeNames.contains(volume.getName())) {
        throw new IllegalArgumentException(
            "pod_template has a volume named "
                + volume.getName()
                + ", a name the worker gives its own volume: rename it");
      }
    }
  }

  private static int indexOf(List<Container> containers, String name) {
    for (int i = 0; i < containers.size(); i++) {
      if (name.equals(containers.get(i).getName())) {
        return i;
      }
    }
    return -1;
  }
}
