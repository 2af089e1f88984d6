package dev.ozworker.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The files under {@code manifests/}, read as Kubernetes objects. */
final class Manifests {
  static final Path ROOT = Path.of("manifests");
  static final Path BASE = ROOT.resolve("base");
  static final Path DOCKER = ROOT.resolve("overlays/docker");
  static final Path DIRECT = ROOT.resolve("overlays/direct");
  static final Path KUBERNETES = ROOT.resolve("overlays/kubernetes");
  static final List<Path> OVERLAYS = List.of(DOCKER, DIRECT, KUBERNETES);
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

  /** The file that gives an overlay its ConfigMap: one of its own, else the base's. */
  static Path configMapFile(Path overlay) throws IOException {
    for (Path file : objectFiles(overlay)) {
      if (!all(file, ConfigMap.class).isEmpty()) {
        return file;
      }
    }
    return BASE.resolve("config.yaml");
  }

  /** The YAML files of a kustomization directory but {@code kustomization.yaml} itself. */
  static List<Path> objectFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(file -> file.getFileName().toString().endsWith(".yaml"))
          .filter(file -> !file.getFileName().toString().equals("kustomization.yaml"))
          .sorted()
          .toList();
    }
  }

  /** The backend the overlay's patch of the Deployment names with {@code --backend=}. */
  static String backendFlag(Path overlay) throws IOException {
    Matcher flag =
        Pattern.compile("value: --backend=(\\S+)")
            .matcher(Files.readString(overlay.resolve("kustomization.yaml")));
    if (!flag.find()) {
      throw new AssertionError(overlay + "/kustomization.yaml adds no --backend= to the worker");
    }
    return flag.group(1);
  }
}
