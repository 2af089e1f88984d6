package dev.ozworker.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The files under {@code manifests/}, read as Kubernetes objects. */
final class Manifests {
  static final Path ROOT = Path.of("manifests");
  static final Path BASE = ROOT.resolve("base");
  static final Path DOCKER = ROOT.resolve("overlays/docker");
  static final Path DIRECT = ROOT.resolve("overlays/direct");
  static final String NAMESPACE = "oz-worker-system";
  static final String SERVICE_ACCOUNT = "oz-worker";

  private Manifests() {}

  /** Every object of a file of one or more YAML documents. */
  static List<HasMetadata> read(Path file) throws IOException {
    return Arrays.stream(Files.readString(file).split("(?m)^---$"))
        .filter(document -> document.lines().anyMatch(line -> line.startsWith("kind:")))
        .map(document -> (HasMetadata) Serialization.unmarshal(document))
        .toList();
  }

  static <T extends HasMetadata> T one(Path file, Class<T> kind) throws IOException {
    return read(file).stream().filter(kind::isInstance).map(kind::cast).findFirst().orElseThrow();
  }

  static <T extends HasMetadata> List<T> all(Path file, Class<T> kind) throws IOException {
    return read(file).stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  /** The worker's config file as a ConfigMap of that file carries it. */
  static String workerConfig(Path file) throws IOException {
    return one(file, ConfigMap.class).getData().get("config.yaml");
  }
}
