package dev.ozworker.demo;

import dev.ozworker.config.BackendKind;
import dev.ozworker.config.ConfigException;
import dev.ozworker.config.ConfigFile;
import dev.ozworker.config.Flags;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.config.WorkerConfigResolver;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * The demo worker's configuration, resolved as a worker's is: short grace periods, finished tasks
 * kept for the summary, and the backend's block — the Direct backend with the stand-in CLI
 * installed under the demo's directory, the Docker backend on the demo's images, or the Kubernetes
 * backend on the demo's image for task Pods.
 */
public final class DemoConfig {
  private DemoConfig() {}

  /**
   * @param dir the demo's directory: task logs, and for the Direct backend workspaces and the
   *     installed stand-in CLI
   * @param ozUrl the demo Oz endpoint
   * @param env the worker's environment
   */
  public static WorkerConfig resolve(
      Path dir,
      URI ozUrl,
      BackendKind kind,
      String namespace,
      String workerId,
      Map<String, String> env)
      throws ConfigException, IOException {
    String backend =
        switch (kind) {
          // With Docker nothing is pulled (the images were made on this engine) and the
          // stand-in agent needs no network.
          case DOCKER ->
              """
              docker:
                default_image: %s
                sidecar_image: %s
                image_pull_policy: Never
                network_mode: none
              """
                  .formatted(DemoImages.TASK_IMAGE, DemoImages.AGENT_IMAGE);
          // Nor with Kubernetes: the node's engine must have the image. It holds the agent
          // itself, so no sidecar is copied into the Pod.
          case KUBERNETES ->
              """
              kubernetes:
                default_image: %s
                image_pull_policy: Never
              """
                  .formatted(DemoImages.POD_IMAGE);
          case COMMAND ->
              throw new IllegalArgumentException("the demo does not run the command backend");
          case DIRECT ->
              """
              direct:
                workspace_root: %s
                oz_path: %s
              """
                  .formatted(dir.resolve("workspaces"), DemoAgent.install(dir.resolve("bin")));
        };
    String yaml =
        """
        namespace: %s
        task_log_dir: %s
        cancel_grace_period: 5s
        finished_task_ttl: 0s
        backend:
        """
                .formatted(namespace, dir.resolve("logs"))
            + backend.indent(2);
    Flags flags =
        Flags.of(
            Map.of(
                "--backend",
                kind.configName(),
                "--api-key",
                "demo-key-for-the-local-endpoint",
                "--worker-id",
                workerId,
                "--web-socket-url",
                ozUrl.toString(),
                "--server-root-url",
                "http://127.0.0.1:1",
                "--idle-on-complete",
                "0s"));
    return new WorkerConfigResolver(env, dir)
        .resolve(ConfigFile.parse(yaml, "the demo's configuration", env), flags);
  }
}
