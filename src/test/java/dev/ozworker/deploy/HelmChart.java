package dev.ozworker.deploy;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The chart under {@code charts/oz-worker-operator}, rendered by Helm's own engine (helm-java runs
 * Helm's Go library in this process): what {@code helm template} and {@code helm install} make of
 * it with a values file.
 */
final class HelmChart {
  static final Path DIR = Path.of("charts/oz-worker-operator");

  /**
   * The release name that makes the chart's names those of the kustomize manifests ({@code
   * oz-worker}, {@code oz-worker-config}, {@code oz-worker-task-pods}).
   */
  static final String RELEASE = "oz-worker";

  static final List<String> BACKENDS = List.of("kubernetes", "docker", "direct");

  private HelmChart() {}

  /** {@code helm template RELEASE charts/oz-worker-operator -n NAMESPACE -f values}. */
  static String template(String namespace, Path values) {
    return new Helm(DIR)
        .template()
        .withName(RELEASE)
        .withNamespace(namespace)
        .withValuesFile(values)
        .call();
  }

  /** The same with values given as YAML text, written to a file in {@code dir}. */
  static String template(String namespace, Path dir, String values) throws IOException {
    return template(namespace, valuesFile(dir, values));
  }

  static Path valuesFile(Path dir, String values) throws IOException {
    return Files.writeString(Files.createTempFile(dir, "values-", ".yaml"), values);
  }

  /** The objects of a rendered chart (or of any stream of YAML documents). */
  static List<HasMetadata> objects(String rendered) {
    return Arrays.stream(rendered.split("(?m)^---\\s*$"))
        .filter(document -> document.lines().anyMatch(line -> line.startsWith("kind:")))
        .map(document -> (HasMetadata) Serialization.unmarshal(document))
        .toList();
  }

  static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> kind) {
    return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> kind) {
    List<T> found = all(objects, kind);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + kind.getSimpleName() + ", found " + found.size());
    }
    return found.getFirst();
  }
}
