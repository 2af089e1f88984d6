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
import java.util.concurrent.TimeUnit;

/**
 * The JVM options our worker runs with in its pod: those of the image's {@code ENTRYPOINT} (the
 * Dockerfile), and the Deployment's memory limit ({@code manifests/base}), which the JVM in the pod
 * sees as its physical memory and sizes its heap by. The resource figures run the jar and their
 * floor with these, so they measure the worker as it is deployed, not as a bare {@code java -jar}
 * sizes itself on a large build machine (a quarter of its memory as heap).
 *
 * <p>The image maps an AOT cache of the worker's classes (JDK 25), made in its build by a training
 * run of {@code demo}; the cache belongs to one jar at one path. The worker here gets one made the
 * same way for the local jar, once per benchmark JVM; the floor gets none (its classes are not the
 * worker's), only the runtime's own class data archive, which every JVM maps.
 */
final class PodJvm {
  static final Path DOCKERFILE = Path.of("Dockerfile");
  static final Path DEPLOYMENT = Path.of("manifests", "base", "deployment.yaml");
  static final Path JAR = Path.of("target", "oz-worker-operator.jar");
  static final Path ARCHIVE = Path.of("target", "bench", "worker.aot");
  private static final String ARCHIVE_OPTION = "-XX:AOTCache=";
  private static final String TRAINING_OPTION = "-XX:AOTCacheOutput=";
  private static boolean archiveMade;

  private PodJvm() {}

  /** The pod's options, the image's AOT cache replaced by one for the local jar. */
  static List<String> workerOptions() throws IOException, InterruptedException {
    List<String> options = new ArrayList<>();
    for (String option : options()) {
      if (option.startsWith(ARCHIVE_OPTION)) {
        options.add(ARCHIVE_OPTION + classData().toAbsolutePath());
      } else {
        options.add(option);
      }
    }
    return options;
  }

  /** The pod's options without the worker's AOT cache, for a JVM running other code. */
  static List<String> floorOptions() {
    return options().stream().filter(option -> !option.startsWith(ARCHIVE_OPTION)).toList();
  }

  /** The options between {@code java} and {@code -jar} in the image, and the pod's memory. */
  static List<String> options() {
    try {
      List<String> options = new ArrayList<>(entrypointOptions(Files.readString(DOCKERFILE)));
      options.add("-XX:MaxRAM=" + memoryLimitMiB(Files.readString(DEPLOYMENT)) + "m");
      return options;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Makes the worker's AOT cache now, as the image build does, before anything is timed. */
  static void prepareClassData() throws IOException, InterruptedException {
    classData();
  }

  /**
   * The worker's AOT cache for the local jar, made as the Dockerfile makes the image's: a {@code
   * demo} run with the pod's options that saves the classes it loaded, linked, when it exits.
   */
  private static synchronized Path classData() throws IOException, InterruptedException {
    if (archiveMade) {
      return ARCHIVE;
    }
    Files.createDirectories(ARCHIVE.getParent());
    Files.deleteIfExists(ARCHIVE);
    Path scratch = Files.createTempDirectory(ARCHIVE.getParent(), "aot-cache-").toAbsolutePath();
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(floorOptions());
    command.addAll(
        List.of(
            TRAINING_OPTION + ARCHIVE.toAbsolutePath(),
            "-jar",
            JAR.toAbsolutePath().toString(),
            "demo"));
    Path log = scratch.resolve("demo.log");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().remove("KUBECONFIG");
    builder.environment().put("TMPDIR", scratch.toString());
    builder.environment().put("HOME", scratch.toString());
    Process demo = builder.start();
    boolean ended = demo.waitFor(3, TimeUnit.MINUTES);
    if (!ended) {
      demo.destroyForcibly().waitFor();
    }
    if (!ended || demo.exitValue() != 0 || !Files.isRegularFile(ARCHIVE)) {
      throw new IOException("the training run for the AOT cache failed; its output is in " + log);
    }
    deleteTree(scratch);
    archiveMade = true;
    return ARCHIVE;
  }

  private static void deleteTree(Path root) throws IOException {
    try (var paths = Files.walk(root)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
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
