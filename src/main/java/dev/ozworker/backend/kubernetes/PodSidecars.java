package dev.ozworker.backend.kubernetes;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.task.Sidecar;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The volumes that bring a task's sidecar images into its Pod, the init containers that fill them,
 * and the mounts the setup and task containers get.
 *
 * <p>By default each sidecar's filesystem is copied by an init container {@code copy-sidecar-<i>}
 * (the sidecar image itself, as root) into an emptyDir {@code sidecar-<i>-data}; this works on
 * every Kubernetes version. With image volumes (Kubernetes 1.31+, feature gate {@code ImageVolume})
 * the kubelet mounts the image directly as {@code sidecar-<i>-image}: no copy, but always
 * read-only.
 *
 * @param volumes the Pod's sidecar volumes, in the task's order
 * @param initContainers the copying init containers (none with image volumes)
 * @param mounts the setup and task containers' mounts, in the task's order
 */
record PodSidecars(List<Volume> volumes, List<Container> initContainers, List<VolumeMount> mounts) {

  /** Where a copying init container sees its emptyDir. */
  static final String COPY_TARGET = "/target";

  /**
   * The copy: the sidecar image's whole filesystem but the emptyDir itself, kernel file systems and
   * the secrets Kubernetes and Docker mount, owned by the copier ({@code --no-same-owner}) and with
   * the umask applied, as the reference worker copies it.
   */
  static final String COPY_SCRIPT =
      """
      tar \\
        --exclude=./target \\
        --exclude=./proc \\
        --exclude=./sys \\
        --exclude=./dev \\
        --exclude=./.dockerenv \\
        --exclude=./var/run/secrets \\
        --exclude=./run/secrets \\
        -C / -cf - . | tar --no-same-owner --no-same-permissions -C /target -xf -\
      """;

  PodSidecars {
    volumes = List.copyOf(volumes);
    initContainers = List.copyOf(initContainers);
    mounts = List.copyOf(mounts);
  }

  /**
   * The sidecars of a task.
   *
   * @throws TaskFailure {@code sidecar_prep} when a sidecar has no image or mount path, mounts at
   *     {@code /workspace}, shares its mount path with another, or asks for a read-write image
   *     volume
   */
  static PodSidecars of(List<Sidecar> sidecars, PodSettings settings) throws TaskFailure {
    validate(sidecars, settings.useImageVolumes());
    List<Volume> volumes = new ArrayList<>();
    List<Container> copiers = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    for (int i = 0; i < sidecars.size(); i++) {
      Sidecar sidecar = sidecars.get(i);
      if (settings.useImageVolumes()) {
        String name = "sidecar-" + i + "-image";
        volumes.add(
            new VolumeBuilder()
                .withName(name)
                .withNewImage()
                .withReference(sidecar.image())
                .withPullPolicy(settings.imagePullPolicy())
                .endImage()
                .build());
        mounts.add(mount(name, sidecar.mountPath(), true));
        continue;
      }
      String name = "sidecar-" + i + "-data";
      volumes.add(new VolumeBuilder().withName(name).withNewEmptyDir().endEmptyDir().build());
      copiers.add(
          new ContainerBuilder()
              .withName("copy-sidecar-" + i)
              .withImage(sidecar.image())
              .withImagePullPolicy(settings.imagePullPolicy())
              .withCommand("/bin/sh", "-c", COPY_SCRIPT)
              .withSecurityContext(copierSecurity())
              .withVolumeMounts(mount(name, COPY_TARGET, false))
              .build());
      mounts.add(mount(name, sidecar.mountPath(), !sidecar.readWrite()));
    }
    return new PodSidecars(volumes, copiers, mounts);
  }

  private static void validate(List<Sidecar> sidecars, boolean imageVolumes) throws TaskFailure {
    Set<String> paths = new HashSet<>();
    for (Sidecar sidecar : sidecars) {
      if (sidecar.image() == null || sidecar.image().isBlank()) {
        throw prep("a sidecar has no image" + at(sidecar) + ": give every sidecar an image");
      }
      String path = sidecar.mountPath();
      if (path == null || path.isBlank()) {
        throw prep("sidecar " + sidecar.image() + " has no mount path: give it one");
      }
      if (path.equals(TaskPods.WORKSPACE)) {
        throw prep(
            "sidecar "
                + sidecar.image()
                + " mounts at "
                + TaskPods.WORKSPACE
                + ", which holds the task's workspace: mount it elsewhere");
      }
      if (!paths.add(path)) {
        throw prep(
            "sidecar " + sidecar.image() + " mounts at " + path + ", where another sidecar is");
      }
      if (imageVolumes && sidecar.readWrite()) {
        throw prep(
            "sidecar "
                + sidecar.image()
                + " at "
                + path
                + " asks to be writable, but image volumes are read-only: mount it read-only or"
                + " turn use_image_volumes off");
      }
    }
  }

  private static String at(Sidecar sidecar) {
    return sidecar.mountPath() == null || sidecar.mountPath().isBlank()
        ? ""
        : " (at " + sidecar.mountPath() + ")";
  }

  private static TaskFailure prep(String message) {
    return new TaskFailure(FailureReason.SIDECAR_PREP, message);
  }

  private static VolumeMount mount(String volume, String path, boolean readOnly) {
    VolumeMountBuilder mount = new VolumeMountBuilder().withName(volume).withMountPath(path);
    return (readOnly ? mount.withReadOnly(true) : mount).build();
  }

  /**
   * Root, to read every file of the image whoever owns it ({@code DAC_OVERRIDE}: Debian images have
   * directories only their owner may read, such as {@code /var/cache/apt/archives/partial});
   * nothing else.
   */
  private static SecurityContext copierSecurity() {
    return new SecurityContextBuilder()
        .withRunAsUser(0L)
        .withRunAsGroup(0L)
        .withAllowPrivilegeEscalation(false)
        .withNewCapabilities()
        .withDrop("ALL")
        .withAdd("DAC_OVERRIDE")
        .endCapabilities()
        .build();
  }
}
