package dev.ozworker.backend.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The images of a {@link FakeDockerEngine}: those on the engine, those a registry would give a
 * pull, and pulls, which the test may hold until it releases them. Guarded by the engine's lock.
 */
final class FakeImages {
  private record Image(String id, String platform, List<String> repoDigests) {}

  private final FakeDockerEngine engine;
  private final Map<String, Image> local = new HashMap<>();
  private final Map<String, Image> registry = new HashMap<>();
  private final List<Runnable> heldPulls = new ArrayList<>();
  private boolean holdingPulls;

  FakeImages(FakeDockerEngine engine) {
    this.engine = engine;
  }

  /** An image already on the engine. */
  FakeImages onEngine(String reference, String platform) {
    synchronized (engine) {
      local.put(reference, new Image(id(reference), platform, List.of()));
    }
    return this;
  }

  /** An image a pull of {@code reference} brings, with its registry digest. */
  FakeImages inRegistry(String reference, String platform) {
    String digest = "sha256:" + EngineJson.hex("registry " + reference);
    synchronized (engine) {
      registry.put(
          reference,
          new Image(
              id(reference),
              platform,
              List.of(ImageName.parse(reference).pullRepository() + "@" + digest)));
    }
    return this;
  }

  /** Pulls wait until {@link #releasePulls()} or until the backend closes them. */
  void holdPulls() {
    synchronized (engine) {
      holdingPulls = true;
    }
  }

  void releasePulls() {
    List<Runnable> held;
    synchronized (engine) {
      holdingPulls = false;
      held = List.copyOf(heldPulls);
      heldPulls.clear();
    }
    held.forEach(Runnable::run);
  }

  boolean onEngine(String reference) {
    synchronized (engine) {
      return local.containsKey(reference);
    }
  }

  // --- the commands, as FakeDockerClient executes them ---

  String inspect(String reference) {
    synchronized (engine) {
      engine.record("inspectImage", reference);
      Image image = local.get(reference);
      if (image == null) {
        throw new NotFoundException("No such image: " + reference);
      }
      String[] platform = image.platform().split("/");
      return EngineJson.write(
          Map.of(
              "Id",
              image.id(),
              "Os",
              platform[0],
              "Architecture",
              platform[1],
              "RepoDigests",
              image.repoDigests()));
    }
  }

  /** Streams the pull's progress: the image, or the registry's error inside the stream. */
  void pull(
      String repository, String tag, String platform, ResultCallback<PullResponseItem> progress) {
    Runnable finish;
    synchronized (engine) {
      engine.record("pull", repository + ":" + tag, platform);
      Optional<Map.Entry<String, Image>> found =
          registry.entrySet().stream()
              .filter(e -> ImageName.parse(e.getKey()).pullRepository().equals(repository))
              .filter(e -> ImageName.parse(e.getKey()).tag().equals(tag))
              .findFirst();
      finish =
          () -> {
            synchronized (engine) {
              found.ifPresent(e -> local.put(e.getKey(), e.getValue()));
            }
            Map<String, Object> item =
                found.isPresent()
                    ? Map.of("status", "Status: Downloaded newer image")
                    : Map.of(
                        "error",
                        "manifest unknown",
                        "errorDetail",
                        Map.of("message", "manifest unknown"));
            progress.onNext(EngineJson.read(EngineJson.write(item), PullResponseItem.class));
            progress.onComplete();
          };
      // Closing the stream, as a cancelled pull does, ends it unfinished.
      progress.onStart(() -> forget(finish));
      if (holdingPulls) {
        heldPulls.add(finish);
        return;
      }
    }
    finish.run();
  }

  private void forget(Runnable pull) {
    synchronized (engine) {
      heldPulls.remove(pull);
    }
  }

  private static String id(String reference) {
    return "sha256:" + EngineJson.hex(reference);
  }
}
