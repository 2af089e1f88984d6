package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.config.ImagePullPolicy;
import dev.ozworker.task.Sidecar;
import java.io.Closeable;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sidecar images as named volumes: each image's filesystem is copied once into a volume named after
 * its repository and the first 12 hex digits of its digest, then mounted into every task that uses
 * that image. Volumes this worker filled and that no running container uses are removed once older
 * than a maximum age.
 */
final class SidecarVolumes {

  private static final Logger LOG = LoggerFactory.getLogger(SidecarVolumes.class);

  private final DockerClient docker;
  private final ImagePuller puller;
  private final Clock clock;
  private final Duration maxAge;
  private final Map<String, ReentrantLock> filling = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> usedByRun = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastUsed = new ConcurrentHashMap<>();

  SidecarVolumes(DockerClient docker, ImagePuller puller, Clock clock, Duration maxAge) {
    this.docker = docker;
    this.puller = puller;
    this.clock = clock;
    this.maxAge = maxAge;
  }

  /**
   * The binds ({@code volume:path[:ro]}) of the run's sidecars, in order, each volume filled. The
   * volumes count as used by the run until {@link #release}.
   */
  List<String> prepare(
      String runId, List<Sidecar> sidecars, ImagePullPolicy policy, Consumer<Closeable> onStream)
      throws TaskFailure {
    List<String> binds = new ArrayList<>();
    for (Sidecar sidecar : sidecars) {
      InspectImageResponse image = puller.ensure(sidecar.image(), policy, onStream);
      String volume = volumeName(sidecar.image(), digestOf(image));
      usedByRun.computeIfAbsent(runId, id -> ConcurrentHashMap.newKeySet()).add(volume);
      lastUsed.put(volume, clock.instant());
      fillOnce(volume, sidecar.image());
      binds.add(volume + ":" + sidecar.mountPath() + (sidecar.readWrite() ? "" : ":ro"));
    }
    return binds;
  }

  /** The run no longer needs its volumes (its container exists and mounts them, or never will). */
  void release(String runId) {
    Set<String> volumes = usedByRun.remove(runId);
    if (volumes != null) {
      volumes.forEach(volume -> lastUsed.put(volume, clock.instant()));
    }
  }

  /**
   * Removes sidecar volumes this worker filled that are older than the maximum age (counted from
   * their last use in this process, else their filling), used by no run being prepared and mounted
   * by no container; the engine refuses to remove a mounted one.
   *
   * @return the names of the removed volumes
   */
  List<String> collect() {
    Instant now = clock.instant();
    Set<String> preparing = ConcurrentHashMap.newKeySet();
    usedByRun.values().forEach(preparing::addAll);
    List<String> removed = new ArrayList<>();
    List<InspectVolumeResponse> volumes =
        docker
            .listVolumesCmd()
            .withFilter("label", List.of(DockerLabels.SIDECAR_IMAGE))
            .exec()
            .getVolumes();
    for (InspectVolumeResponse volume :
        volumes == null ? List.<InspectVolumeResponse>of() : volumes) {
      String name = volume.getName();
      Instant since = created(volume);
      Instant used = lastUsed.get(name);
      if (used != null && used.isAfter(since)) {
        since = used;
      }
      if (preparing.contains(name) || Duration.between(since, now).compareTo(maxAge) <= 0) {
        continue;
      }
      try {
        docker.removeVolumeCmd(name).exec();
        lastUsed.remove(name);
        removed.add(name);
        LOG.info("removed sidecar volume {}, unused for longer than {}", name, maxAge);
      } catch (ConflictException inUse) {
        // a container (running, or kept because cleanup is off) still mounts it
      } catch (NotFoundException gone) {
        lastUsed.remove(name);
      }
    }
    return removed;
  }

  /**
   * The volume of an image: its repository (characters Docker does not allow in volume names as
   * {@code -}) and the first 12 hex digits of its digest, as the reference worker names them.
   */
  static String volumeName(String image, String digest) {
    String repository = ImageName.parse(image).familiarRepository();
    String name = ContainerSpecs.safeName(repository);
    String hex = digest.contains(":") ? digest.substring(digest.indexOf(':') + 1) : digest;
    return name + "-" + (hex.length() > 12 ? hex.substring(0, 12) : hex);
  }

  /** The registry digest when the image came from one, else its local id (also a digest). */
  static String digestOf(InspectImageResponse image) {
    List<String> repoDigests = image.getRepoDigests();
    if (repoDigests != null) {
      for (String repoDigest : repoDigests) {
        int at = repoDigest.indexOf('@');
        if (at > 0) {
          return repoDigest.substring(at + 1);
        }
      }
    }
    return image.getId();
  }

  private Instant created(InspectVolumeResponse volume) {
    String created =
        volume.getLabels() == null ? null : volume.getLabels().get(DockerLabels.CREATED);
    try {
      return created == null ? Instant.EPOCH : Instant.parse(created);
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }

  private void fillOnce(String volume, String image) throws TaskFailure {
    ReentrantLock lock = filling.computeIfAbsent(volume, name -> new ReentrantLock());
    lock.lock();
    try {
      List<Container> unfinished = fillContainers(volume);
      boolean exists = exists(volume);
      if (exists && unfinished.isEmpty()) {
        return;
      }
      // a fill container outlives its fill only when the worker died mid-copy: start over
      unfinished.forEach(c -> docker.removeContainerCmd(c.getId()).withForce(true).exec());
      if (exists) {
        docker.removeVolumeCmd(volume).exec();
      }
      fill(volume, image);
    } catch (RuntimeException e) {
      throw new TaskFailure(
          FailureReason.SIDECAR_PREP,
          null,
          "cannot copy sidecar image " + image + " into volume " + volume + ": " + e.getMessage(),
          e);
    } finally {
      lock.unlock();
    }
  }

  private void fill(String volume, String image) {
    LOG.info("copying sidecar image {} into volume {}", image, volume);
    docker
        .createVolumeCmd()
        .withName(volume)
        .withLabels(
            Map.of(
                DockerLabels.SIDECAR_IMAGE,
                image,
                DockerLabels.CREATED,
                clock.instant().toString()))
        .exec();
    String source = null;
    String target = null;
    try {
      // Neither container runs: the engine exports one's filesystem and unpacks into the other's
      // volume, so the sidecar image needs no shell or tar of its own.
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
      } catch (java.io.IOException e) {
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

  private List<Container> fillContainers(String volume) {
    return docker
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(Map.of(DockerLabels.SIDECAR_FILL, volume))
        .exec();
  }

  private boolean exists(String volume) {
    try {
      docker.inspectVolumeCmd(volume).exec();
      return true;
    } catch (NotFoundException absent) {
      return false;
    }
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
