package dev.ozworker.fault;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.ozworker.api.AgentTask;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

/**
 * Looks for a secret where it must not be: in text, files, the argv of every process and the
 * inspect output of every container. Each finding names its place, never the secret.
 */
final class FaultSecretScanner {
  private FaultSecretScanner() {}

  /** Every AgentTask (spec and status), Event (both APIs) and ConfigMap of the namespace. */
  static List<String> scanNamespace(KubernetesClient client, String namespace, String secret) {
    List<String> found = new ArrayList<>();
    found.addAll(
        scan(
            "AgentTask",
            Serialization.asYaml(client.resources(AgentTask.class).inNamespace(namespace).list()),
            secret));
    found.addAll(
        scan(
            "Event",
            Serialization.asYaml(client.v1().events().inNamespace(namespace).list()),
            secret));
    found.addAll(
        scan(
            "events.k8s.io Event",
            Serialization.asYaml(client.events().v1().events().inNamespace(namespace).list()),
            secret));
    found.addAll(
        scan(
            "ConfigMap",
            Serialization.asYaml(client.configMaps().inNamespace(namespace).list()),
            secret));
    return found;
  }

  /** The place, when {@code text} holds the secret as it is or base64-encoded (as in a Secret). */
  static List<String> scan(String place, String text, String secret) {
    String encoded = Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8));
    return text.contains(secret) || text.contains(encoded) ? List.of(place) : List.of();
  }

  static List<String> scanFiles(Path dir, String secret) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        if (Files.readString(file, StandardCharsets.ISO_8859_1).contains(secret)) {
          found.add("task log file " + file);
        }
      }
    }
    return found;
  }

  /** Every process's argv; a process that ends while being read is skipped. */
  static List<String> scanProcesses(String secret) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
        try {
          String argv =
              new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.ISO_8859_1);
          if (argv.contains(secret)) {
            found.add("argv of pid " + proc.getFileName() + ": " + argv.replace('\0', ' '));
          }
        } catch (IOException ended) {
          // gone, or not ours to read
        }
      }
    }
    return found;
  }

  /** Every container's inspect output; the env of the task containers is theirs to hold. */
  static List<String> scanContainers(DockerClient docker, String image, String secret) {
    List<String> found = new ArrayList<>();
    for (Container container : docker.listContainersCmd().withShowAll(true).exec()) {
      InspectContainerResponse inspect;
      try {
        inspect = docker.inspectContainerCmd(container.getId()).exec();
      } catch (NotFoundException gone) {
        continue;
      }
      if (image.equals(inspect.getConfig().getImage())) {
        inspect.getConfig().withEnv(new String[0]);
      }
      if (inspect.toString().contains(secret)) {
        found.add("inspect of container " + container.getId());
      }
    }
    return found;
  }

  static void deleteTasks(KubernetesClient client, String namespace) {
    try {
      FaultCleanup.deleteTasks(client, namespace, Duration.ofSeconds(30));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      for (AgentTask task :
          client.resources(AgentTask.class).inNamespace(namespace).list().getItems()) {
        client
            .resources(AgentTask.class)
            .inNamespace(namespace)
            .withName(task.getMetadata().getName())
            .edit(
                t -> {
                  t.getMetadata().setFinalizers(List.of());
                  return t;
                });
      }
    }
  }

  static void removeNamespace(KubernetesClient client, String namespace) {
    deleteTasks(client, namespace);
    client.namespaces().withName(namespace).delete();
  }
}
