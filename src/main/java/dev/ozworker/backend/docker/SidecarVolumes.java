package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.config.ImagePullPolicy;
import dev.ozworker.task.Sidecar;
import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sidecar images as named volumes: each image's filesystem is copied once into a volume named after
 * its repository and the first 12 hex digits of its digest, then mounted read-only into every task
 * that uses that image. A sidecar the task asks to write to gets a copy of its own instead, removed
 * with the run: a shared volume holds {@code /agent/entrypoint.sh} for every later task, so no task
 * may ever write to one. Volumes this worker filled and that no running container uses are removed
 * once older than a maximum age.
 */
final class SidecarVolumes {

  private static final Logger LOG = LoggerFactory.getLogger(SidecarVolumes.class);

  private final DockerClient docker;
  private final ImagePuller puller;
  private final Clock clock;
  private final Duration maxAge;
  private final VolumeFill fill;
  private final RunSidecarCopies copies;
  private final Map<String, ReentrantLock> filling = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> usedByRun = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastUsed = new ConcurrentHashMap<>();

  SidecarVolumes(DockerClient docker, ImagePuller puller, Clock clock, Duration maxAge) {
    this.docker = docker;
    this.fill = new VolumeFill(docker);
    this.copies = new RunSidecarCopies(docker, fill, clock);
    this.puller = puller;
    this.clock = clock;
    this.maxAge = maxAge;
  }

  /**
   * The binds ({@code volume:path[:ro]}) of the run's sidecars, in order, each volume filled: the
   * shared volume, read-only; for a read-write sidecar, the run's own copy. The shared volumes
   * count as used by the run until {@link #release}.
   */
  List<String> prepare(
      String runId, List<Sidecar> sidecars, ImagePullPolicy policy, Consumer<Closeable> onStream)
      throws TaskFailure {
    List<String> binds = new ArrayList<>();
    for (int i = 0; i < sidecars.size(); i++) {
      Sidecar sidecar = sidecars.get(i);
      InspectImageResponse image = pulled(sidecar, policy, onStream);
      String digest = digestOf(image);
      if (sidecar.readWrite()) {
        binds.add(copies.copy(runId, i, sidecar.image()) + ":" + sidecar.mountPath());
        continue;
      }
      String volume = volumeName(sidecar.image(), digest);
      usedByRun.computeIfAbsent(runId, id -> ConcurrentHashMap.newKeySet()).add(volume);
      lastUsed.put(volume, clock.instant());
      String mounted =
          fillOnce(volume, sidecar.image(), digest)
              ? volume
              : copies.copy(runId, i, sidecar.image());
      binds.add(mounted + ":" + sidecar.mountPath() + ":ro");
    }
    return binds;
  }

  /**
   * The sidecar's image, pulled as the policy says. A sidecar that cannot be pulled fails the task
   * as {@code sidecar_prep}, as in the reference worker: {@code image_pull} names the task's own
   * image, so the two causes stay apart in Oz.
   */
  private InspectImageResponse pulled(
      Sidecar sidecar, ImagePullPolicy policy, Consumer<Closeable> onStream) throws TaskFailure {
    try {
      return puller.ensure(sidecar.image(), policy, onStream);
    } catch (TaskFailure failure) {
      throw failure.reason() != FailureReason.IMAGE_PULL
          ? failure
          : new TaskFailure(
              FailureReason.SIDECAR_PREP,
              null,
              "sidecar " + sidecar.mountPath() + ": " + failure.getMessage(),
              failure);
    }
  }

  /** Removes the run's own sidecar copies; see {@link RunSidecarCopies#remove}. */
  Optional<TaskFailure> removeRunCopies(String runId) {
    return copies.remove(runId);
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
    // a run's own copies too: the run's cleanup removes them, unless it never came
    List<InspectVolumeResponse> volumes =
        new ArrayList<>(volumesLabelled(DockerLabels.SIDECAR_IMAGE));
    volumes.addAll(volumesLabelled(DockerLabels.SIDECAR_RUN));
    for (InspectVolumeResponse volume : volumes) {
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

  /**
   * Makes sure the shared {@code volume} holds {@code image}, filling it unless it is trusted: this
   * worker filled it (its labels say so, with this digest) and the copy finished.
   *
   * <p>A volume of the expected name that this worker did not fill (the reference worker's, an
   * older version's, or one made to be mounted by later tasks) is removed and filled again rather
   * than refused: its content comes from the image alone, so replacing it loses nothing and the
   * task runs. When a container still mounts it, it cannot be removed; the task then gets a copy of
   * its own.
   *
   * @return whether the task may mount {@code volume}; false when it needs a copy of its own
   */
  private boolean fillOnce(String volume, String image, String digest) throws TaskFailure {
    ReentrantLock lock = filling.computeIfAbsent(volume, name -> new ReentrantLock());
    lock.lock();
    try {
      boolean unfinished = fill.clearUnfinished(volume);
      Optional<Map<String, String>> labels = fill.labels(volume);
      if (labels.isPresent() && !unfinished && trusted(labels.get(), digest)) {
        return true;
      }
      if (labels.isPresent()) {
        try {
          docker.removeVolumeCmd(volume).exec();
        } catch (ConflictException inUse) {
          LOG.warn(
              "volume {} was not filled by this worker and a container mounts it; the task gets a"
                  + " copy of its own",
              volume);
          return false;
        }
      }
      fill.fill(volume, image, sharedLabels(image, digest));
      return true;
    } catch (RuntimeException e) {
      throw VolumeFill.failed(image, volume, e);
    } finally {
      lock.unlock();
    }
  }

  /** Whether this worker filled the volume from the image of {@code digest}. */
  static boolean trusted(Map<String, String> labels, String digest) {
    return labels.containsKey(DockerLabels.SIDECAR_IMAGE)
        && digest.equals(labels.get(DockerLabels.SIDECAR_DIGEST));
  }

  private Map<String, String> sharedLabels(String image, String digest) {
    return Map.of(
        DockerLabels.SIDECAR_IMAGE,
        image,
        DockerLabels.SIDECAR_DIGEST,
        digest,
        DockerLabels.CREATED,
        clock.instant().toString());
  }

  private List<InspectVolumeResponse> volumesLabelled(String label) {
    return fill.volumesLabelled(label);
  }
}
