package dev.ozworker.backend.docker;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The named volumes of a {@link FakeDockerEngine}, with what was copied into each; one a container
 * mounts cannot be removed. Guarded by the engine's lock.
 */
final class FakeVolumes {
  private final FakeDockerEngine engine;
  private final Map<String, Map<String, String>> labels = new LinkedHashMap<>();
  private final Map<String, byte[]> contents = new HashMap<>();

  FakeVolumes(FakeDockerEngine engine) {
    this.engine = engine;
  }

  /** Each volume's labels, by name. */
  Map<String, Map<String, String>> all() {
    synchronized (engine) {
      return Map.copyOf(labels);
    }
  }

  /** What was copied into the volume, if anything. */
  Optional<byte[]> contents(String volume) {
    synchronized (engine) {
      return Optional.ofNullable(contents.get(volume));
    }
  }

  // --- the commands, as FakeDockerClient executes them ---

  String create(String name, Map<String, String> volumeLabels) {
    synchronized (engine) {
      engine.record("createVolume", name);
      labels.put(name, Map.copyOf(volumeLabels));
      return describe(name);
    }
  }

  String inspect(String name) {
    synchronized (engine) {
      engine.record("inspectVolume", name);
      if (!labels.containsKey(name)) {
        throw new NotFoundException("get " + name + ": no such volume");
      }
      return describe(name);
    }
  }

  /** The volumes with {@code label}: a key, or {@code key=value}, as the engine filters. */
  String list(String label) {
    synchronized (engine) {
      engine.record("listVolumes", label);
      String[] keyValue = label.split("=", 2);
      List<Object> found = new ArrayList<>();
      labels.forEach(
          (name, its) -> {
            if (its.containsKey(keyValue[0])
                && (keyValue.length == 1 || keyValue[1].equals(its.get(keyValue[0])))) {
              found.add(EngineJson.read(describe(name), Map.class));
            }
          });
      return EngineJson.write(Map.of("Volumes", found));
    }
  }

  void remove(String name) {
    synchronized (engine) {
      engine.record("removeVolume", name);
      if (!labels.containsKey(name)) {
        throw new NotFoundException("get " + name + ": no such volume");
      }
      if (engine.mounted(name)) {
        throw new ConflictException("remove " + name + ": volume is in use");
      }
      labels.remove(name);
      contents.remove(name);
    }
  }

  /** Unpacks {@code tar} into the volume the container mounts at {@code path}. */
  void copyTo(String containerId, String path, byte[] tar) {
    synchronized (engine) {
      engine.record("copyTo", containerId, path);
      engine.fail("copyTo");
      for (String bind : engine.binds(containerId)) {
        String[] parts = bind.split(":");
        if (parts[1].equals(path) && labels.containsKey(parts[0])) {
          contents.put(parts[0], tar);
          return;
        }
      }
      throw new NotFoundException("no volume is mounted at " + path + " in " + containerId);
    }
  }

  private String describe(String name) {
    return EngineJson.write(Map.of("Name", name, "Labels", labels.get(name), "Driver", "local"));
  }
}
