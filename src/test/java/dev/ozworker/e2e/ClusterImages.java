package dev.ozworker.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ozworker.Command;
import dev.ozworker.kube.TestCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The images of the end-to-end tests, built once per test run on the machine's Docker engine, which
 * is also the node's: the kubelet of kube-local starts pods on it, so a local image is on the node
 * as soon as it is built, and pods run it with {@code imagePullPolicy: Never}.
 *
 * <ul>
 *   <li>{@link #worker}: built by {@code deploy/build-image.sh} (the Dockerfile on the base {@code
 *       deploy/jre-base-image.sh} makes, as {@code deploy.DockerImageIT} builds it); removed by id
 *       when the run ends.
 *   <li>{@link #agent}: the stand-in agent ({@code agent-image.sh}), kept and reused while its
 *       inputs are unchanged, like the base image.
 * </ul>
 */
final class ClusterImages implements AutoCloseable {
  static final Duration BUILD = Duration.ofMinutes(10);

  final String worker;
  final String agent;
  private final String workerId;

  private ClusterImages(String worker, String workerId, String agent) {
    this.worker = worker;
    this.workerId = workerId;
    this.agent = agent;
  }

  static ClusterImages build() throws IOException, InterruptedException {
    long started = System.nanoTime();
    String tag = "ozworker-e2e/worker:" + UUID.randomUUID().toString().substring(0, 8);
    Command.run(BUILD, "sh", "deploy/build-image.sh", tag).ok();
    String id =
        Command.run(BUILD, "docker", "image", "inspect", "--format", "{{.Id}}", tag)
            .ok()
            .out()
            .strip();
    String agent =
        Command.run(
                BUILD,
                "bash",
                "src/test/resources/dev/ozworker/e2e/agent-image.sh",
                "ozworker-e2e/agent")
            .ok()
            .out()
            .strip();
    ClusterTimings.print("image build (worker + agent)", started);
    return new ClusterImages(tag, id, agent);
  }

  /** The repository part of an image reference, as kustomize's {@code newName} takes it. */
  static String name(String image) {
    return image.substring(0, image.lastIndexOf(':'));
  }

  static String tag(String image) {
    return image.substring(image.lastIndexOf(':') + 1);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    Command.run(BUILD, "docker", "image", "rm", "--force", workerId).ok();
  }

  /**
   * Skips a test class unless the cluster has a Ready node (a kubelet runs pods), then hands it the
   * images, built by the first class of the run and removed after the last, and the shared pool of
   * three Direct-backend workers ({@link ClusterPool}), installed by the first class that asks for
   * it and removed after the last (before the images).
   */
  static final class Extension implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace STORE =
        ExtensionContext.Namespace.create(ClusterImages.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
      try (var admin = TestCluster.connectOrSkip()) {
        boolean ready =
            admin.nodes().list().getItems().stream()
                .anyMatch(
                    node ->
                        node.getStatus().getConditions().stream()
                            .anyMatch(
                                c -> c.getType().equals("Ready") && c.getStatus().equals("True")));
        assumeTrue(
            ready,
            "the cluster has no Ready node: these tests need kube-local with all its components"
                + " (kubelet, scheduler, controller-manager), as .ci/run starts it");
      }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      Class<?> type = parameter.getParameter().getType();
      return type == ClusterImages.class || type == ClusterPool.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      ExtensionContext.Store store = context.getRoot().getStore(STORE);
      ClusterImages images =
          store.getOrComputeIfAbsent(
              ClusterImages.class, key -> unchecked(ClusterImages::build), ClusterImages.class);
      if (parameter.getParameter().getType() == ClusterImages.class) {
        return images;
      }
      return store.getOrComputeIfAbsent(
          ClusterPool.class,
          key ->
              unchecked(
                  () ->
                      ClusterPool.install(
                          images, "test-direct", 3, Files.createTempDirectory("oz-e2e-pool"))),
          ClusterPool.class);
    }

    private interface Making<T> {
      T make() throws IOException, InterruptedException;
    }

    private static <T> T unchecked(Making<T> making) {
      try {
        return making.make();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while setting up the cluster tests", e);
      }
    }
  }
}
