package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.command.PullImageCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.api.model.ResponseItem;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.config.ImagePullPolicy;
import java.io.Closeable;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings an image onto the engine as the pull policy says, with the registry's credentials, and
 * checks it is built for the engine's platform. Every failure is an {@code image_pull}.
 */
final class ImagePuller {
  private static final Logger LOG = LoggerFactory.getLogger(ImagePuller.class);

  private final DockerClient docker;
  private final String platform;
  private final RegistryAuth auth;

  ImagePuller(DockerClient docker, String platform, RegistryAuth auth) {
    this.docker = docker;
    this.platform = platform;
    this.auth = auth;
  }

  /**
   * The image, on the engine and checked.
   *
   * @param onStream hears the pull's stream while it lasts, so that a cancel can close it
   */
  InspectImageResponse ensure(String image, ImagePullPolicy policy, Consumer<Closeable> onStream)
      throws TaskFailure {
    Optional<InspectImageResponse> present =
        policy == ImagePullPolicy.Always ? Optional.empty() : inspect(image);
    if (present.isEmpty()) {
      if (policy == ImagePullPolicy.Never) {
        throw new TaskFailure(
            FailureReason.IMAGE_PULL,
            "image "
                + image
                + " is not on the Docker engine and image_pull_policy is Never, so it is not"
                + " pulled");
      }
      pull(image, onStream);
      present = inspect(image);
      if (present.isEmpty()) {
        throw new TaskFailure(
            FailureReason.IMAGE_PULL, "image " + image + " is missing after a successful pull");
      }
    }
    String imagePlatform = present.get().getOs() + "/" + present.get().getArch();
    if (!platform.equals(imagePlatform)) {
      throw new TaskFailure(
          FailureReason.IMAGE_PULL,
          "image " + image + " is for " + imagePlatform + ", but this engine runs " + platform);
    }
    return present.get();
  }

  private Optional<InspectImageResponse> inspect(String image) throws TaskFailure {
    try {
      return Optional.of(docker.inspectImageCmd(image).exec());
    } catch (NotFoundException absent) {
      return Optional.empty();
    } catch (RuntimeException e) {
      throw new TaskFailure(
          FailureReason.IMAGE_PULL,
          null,
          "cannot inspect image " + image + ": " + e.getMessage(),
          e);
    }
  }

  private void pull(String image, Consumer<Closeable> onStream) throws TaskFailure {
    ImageName name = ImageName.parse(image);
    PullImageCmd pull = docker.pullImageCmd(name.pullRepository()).withPlatform(platform);
    if (name.digest().isEmpty()) {
      pull.withTag(name.tag());
    }
    try {
      auth.forImage(name).ifPresent(pull::withAuthConfig);
    } catch (IOException e) {
      // a broken credential store should not hide a public image: pull anonymously
      LOG.warn("pulling {} without credentials: {}", image, e.getMessage());
    }
    LOG.info("pulling image {}", image);
    Progress progress = new Progress();
    try {
      pull.exec(progress);
      onStream.accept(progress);
      progress.awaitCompletion();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TaskFailure(FailureReason.IMAGE_PULL, null, "pull of " + image + " stopped", e);
    } catch (RuntimeException e) {
      throw new TaskFailure(
          FailureReason.IMAGE_PULL, null, "cannot pull image " + image + ": " + e.getMessage(), e);
    } finally {
      onStream.accept(null);
    }
    Optional<String> error = progress.error();
    if (error.isPresent()) {
      throw new TaskFailure(
          FailureReason.IMAGE_PULL, "cannot pull image " + image + ": " + error.get());
    }
  }

  /**
   * The pull's progress stream. The engine answers 200 and then reports a failure inside the stream
   * (a layer that cannot be fetched, a manifest for another platform), so each item is checked for
   * an error.
   */
  static final class Progress extends ResultCallback.Adapter<PullResponseItem> {
    private volatile String error;

    @Override
    public void onNext(PullResponseItem item) {
      String message = errorOf(item);
      if (message != null && error == null) {
        error = message;
      }
    }

    Optional<String> error() {
      return Optional.ofNullable(error);
    }

    static String errorOf(PullResponseItem item) {
      ResponseItem.ErrorDetail detail = item.getErrorDetail();
      if (detail != null && detail.getMessage() != null && !detail.getMessage().isBlank()) {
        return detail.getMessage();
      }
      return item.getError() == null || item.getError().isBlank() ? null : item.getError();
    }
  }
}
