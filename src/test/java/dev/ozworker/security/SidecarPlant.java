package dev.ozworker.security;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import java.util.concurrent.TimeUnit;

/**
 * A volume made by someone other than the worker, under the name the worker would give an agent
 * sidecar's copy, holding an {@code entrypoint.sh} of the maker's choosing.
 */
final class SidecarPlant {
  private SidecarPlant() {}

  /** Creates {@code volume} (unlabelled) whose {@code entrypoint.sh} runs {@code shell}. */
  static void plant(DockerClient docker, String busybox, String volume, String shell)
      throws InterruptedException {
    docker.createVolumeCmd().withName(volume).exec();
    String id =
        docker
            .createContainerCmd(busybox)
            .withCmd(
                "/bin/sh",
                "-c",
                "/bin/busybox printf '#!/bin/sh\\n%s\\n' \"$0\" > /plant/entrypoint.sh"
                    + " && /bin/busybox chmod 755 /plant/entrypoint.sh",
                shell)
            .withHostConfig(
                HostConfig.newHostConfig()
                    .withNetworkMode("none")
                    .withBinds(Bind.parse(volume + ":/plant")))
            .exec()
            .getId();
    try {
      docker.startContainerCmd(id).exec();
      int status = docker.waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS);
      if (status != 0) {
        throw new IllegalStateException("planting entrypoint.sh exited with " + status);
      }
    } finally {
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }
}
