package dev.ozworker.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The JVM options our worker runs with in its pod: those of the image's {@code ENTRYPOINT} (the
 * Dockerfile), and the Deployment's memory limit ({@code manifests/base}), which the JVM in the pod
 * sees as its physical memory and sizes its heap by. The resource figures run the jar and their
 * floor with these, so they measure the worker as it is deployed, not as a bare {@code java -jar}
 * sizes itself on a large build machine (a quarter of its memory as heap).
 */
final class PodJvm {
  static final Path DOCKERFILE = Path.of("Dockerfile");
  static final Path DEPLOYMENT = Path.of("manifests", "base", "deployment.yaml");

  private PodJvm() {}

  static List<String> options() {
    try {
      List<String> options = new ArrayList<>(entrypointOptions(Files.readString(DOCKERFILE)));
      options.add("-XX:MaxRAM=" + memoryLimitMiB(Files.readString(DEPLOYMENT)) + "m");
      return options;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The options between {@code java} and {@code -jar} of the exec-form ENTRYPOINT. */
  static List<String> entrypointOptions(String dockerfile) throws IOException {
    String entrypoint =
        dockerfile
            .lines()
            .filter(line -> line.startsWith("ENTRYPOINT ["))
            .findFirst()
            .orElseThrow(() -> new IOException("no exec-form ENTRYPOINT in " + DOCKERFILE));
    List<String> argv = new ArrayList<>();
    new ObjectMapper()
        .readTree(entrypoint.substring("ENTRYPOINT ".length()))
        .forEach(word -> argv.add(word.asText()));
    int jar = argv.indexOf("-jar");
    if (argv.isEmpty() || !argv.getFirst().equals("java") || jar < 0) {
      throw new IOException(DOCKERFILE + ": the ENTRYPOINT is not java ... -jar: " + argv);
    }
    return List.copyOf(argv.subList(1, jar));
  }

  /** The worker container's {@code resources.limits.memory}, in MiB. */
  static long memoryLimitMiB(String deployment) throws IOException {
    JsonNode limit =
        new ObjectMapper(new YAMLFactory())
            .readTree(deployment)
            .at("/spec/template/spec/containers/0/resources/limits/memory");
    String quantity = limit.asText("").toLowerCase(Locale.ROOT);
    if (quantity.endsWith("gi")) {
      return Long.parseLong(quantity.substring(0, quantity.length() - 2)) * 1024;
    }
    if (quantity.endsWith("mi")) {
      return Long.parseLong(quantity.substring(0, quantity.length() - 2));
    }
    throw new IOException(
        DEPLOYMENT + ": memory limit in Mi or Gi expected, found '" + limit + "'");
  }
}
