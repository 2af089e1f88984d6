package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.CreateVolumeResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.command.ListVolumesResponse;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.core.command.CopyArchiveFromContainerCmdImpl;
import com.github.dockerjava.core.command.CopyArchiveToContainerCmdImpl;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import com.github.dockerjava.core.command.CreateVolumeCmdImpl;
import com.github.dockerjava.core.command.InspectContainerCmdImpl;
import com.github.dockerjava.core.command.InspectImageCmdImpl;
import com.github.dockerjava.core.command.InspectVolumeCmdImpl;
import com.github.dockerjava.core.command.ListContainersCmdImpl;
import com.github.dockerjava.core.command.ListVolumesCmdImpl;
import com.github.dockerjava.core.command.LogContainerCmdImpl;
import com.github.dockerjava.core.command.PullImageCmdImpl;
import com.github.dockerjava.core.command.RemoveContainerCmdImpl;
import com.github.dockerjava.core.command.RemoveVolumeCmdImpl;
import com.github.dockerjava.core.command.StartContainerCmdImpl;
import com.github.dockerjava.core.command.StopContainerCmdImpl;
import com.github.dockerjava.core.command.WaitContainerCmdImpl;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link DockerClient} on a {@link FakeDockerEngine}. Each method the Docker backend calls
 * returns docker-java's own command (from docker-java-core), so what the backend sets on it is kept
 * as a real client keeps it; only executing it is the engine's. Any other method fails loudly: a
 * backend that starts calling something new needs the fake to learn it first.
 */
final class FakeDockerClient {
  private FakeDockerClient() {}

  /** What the backend asked a container to be created with. */
  record Created(
      String name,
      String image,
      Map<String, String> labels,
      List<String> cmd,
      List<String> env,
      List<String> binds,
      Optional<String> networkMode,
      Optional<Long> memory) {

    Created named(String engineName) {
      return new Created(engineName, image, labels, cmd, env, binds, networkMode, memory);
    }

    static Created from(CreateContainerCmd create) {
      HostConfig host = create.getHostConfig();
      List<String> binds =
          host == null || host.getBinds() == null
              ? List.of()
              : Arrays.stream(host.getBinds()).map(Bind::toString).toList();
      return new Created(
          create.getName(),
          create.getImage(),
          create.getLabels() == null ? Map.of() : Map.copyOf(create.getLabels()),
          create.getCmd() == null ? List.of() : List.of(create.getCmd()),
          create.getEnv() == null ? List.of() : List.of(create.getEnv()),
          binds,
          Optional.ofNullable(host).map(HostConfig::getNetworkMode),
          Optional.ofNullable(host).map(HostConfig::getMemory));
    }
  }

  static DockerClient of(FakeDockerEngine engine) {
    return (DockerClient)
        Proxy.newProxyInstance(
            DockerClient.class.getClassLoader(),
            new Class<?>[] {DockerClient.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "inspectImageCmd" ->
                      new InspectImageCmdImpl(
                          cmd ->
                              EngineJson.read(
                                  engine.images.inspect(cmd.getImageId()),
                                  InspectImageResponse.class),
                          (String) args[0]);
                  case "pullImageCmd" ->
                      new PullImageCmdImpl(
                          (cmd, callback) -> {
                            engine.images.pull(
                                cmd.getRepository(), cmd.getTag(), cmd.getPlatform(), callback);
                            return null;
                          },
                          null,
                          (String) args[0]);
                  case "createContainerCmd" ->
                      new CreateContainerCmdImpl(
                          cmd -> created(engine.create(Created.from(cmd))), null, (String) args[0]);
                  case "startContainerCmd" ->
                      new StartContainerCmdImpl(
                          cmd -> {
                            engine.start(cmd.getContainerId());
                            return null;
                          },
                          (String) args[0]);
                  case "stopContainerCmd" ->
                      new StopContainerCmdImpl(
                          cmd -> {
                            engine.stop(cmd.getContainerId(), cmd.getTimeout());
                            return null;
                          },
                          (String) args[0]);
                  case "removeContainerCmd" ->
                      new RemoveContainerCmdImpl(
                          cmd -> {
                            engine.remove(
                                cmd.getContainerId(), Boolean.TRUE.equals(cmd.hasForceEnabled()));
                            return null;
                          },
                          (String) args[0]);
                  case "inspectContainerCmd" ->
                      new InspectContainerCmdImpl(
                          cmd ->
                              EngineJson.read(
                                  engine.inspectContainer(cmd.getContainerId()),
                                  InspectContainerResponse.class),
                          (String) args[0]);
                  case "listContainersCmd" ->
                      new ListContainersCmdImpl(
                          cmd ->
                              List.of(
                                  EngineJson.read(
                                      engine.listContainers(
                                          labels(cmd.getFilters()),
                                          Boolean.TRUE.equals(cmd.hasShowAllEnabled())),
                                      Container[].class)));
                  case "logContainerCmd" ->
                      new LogContainerCmdImpl(
                          (cmd, callback) -> {
                            engine.logs(
                                cmd.getContainerId(),
                                Boolean.TRUE.equals(cmd.hasFollowStreamEnabled()),
                                callback);
                            return null;
                          },
                          (String) args[0]);
                  case "waitContainerCmd" ->
                      new WaitContainerCmdImpl(
                          (cmd, callback) -> {
                            engine.await(cmd.getContainerId(), callback);
                            return null;
                          },
                          (String) args[0]);
                  case "createVolumeCmd" ->
                      new CreateVolumeCmdImpl(
                          cmd ->
                              EngineJson.read(
                                  engine.volumes.create(cmd.getName(), cmd.getLabels()),
                                  CreateVolumeResponse.class));
                  case "inspectVolumeCmd" ->
                      new InspectVolumeCmdImpl(
                          cmd ->
                              EngineJson.read(
                                  engine.volumes.inspect(cmd.getName()),
                                  InspectVolumeResponse.class),
                          (String) args[0]);
                  case "listVolumesCmd" ->
                      new ListVolumesCmdImpl(
                          cmd ->
                              EngineJson.read(
                                  engine.volumes.list(cmd.getFilters().get("label").getFirst()),
                                  ListVolumesResponse.class));
                  case "removeVolumeCmd" ->
                      new RemoveVolumeCmdImpl(
                          cmd -> {
                            engine.volumes.remove(cmd.getName());
                            return null;
                          },
                          (String) args[0]);
                  case "copyArchiveFromContainerCmd" ->
                      new CopyArchiveFromContainerCmdImpl(
                          cmd ->
                              new ByteArrayInputStream(
                                  engine.copyFrom(cmd.getContainerId(), cmd.getResource())),
                          (String) args[0],
                          (String) args[1]);
                  case "copyArchiveToContainerCmd" ->
                      new CopyArchiveToContainerCmdImpl(
                          cmd -> {
                            engine.volumes.copyTo(
                                cmd.getContainerId(), cmd.getRemotePath(), readAll(cmd));
                            return null;
                          },
                          (String) args[0]);
                  case "close" -> null;
                  case "toString" -> "FakeDockerClient";
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default ->
                      throw new UnsupportedOperationException(
                          "the fake Docker engine has no "
                              + method.getName()
                              + ": teach FakeDockerClient the command before the backend uses it");
                });
  }

  private static CreateContainerResponse created(String id) {
    CreateContainerResponse response = new CreateContainerResponse();
    response.setId(id);
    return response;
  }

  /** The {@code label} filter's {@code key=value} pairs as a map. */
  private static Map<String, String> labels(Map<String, List<String>> filters) {
    Map<String, String> labels = new HashMap<>();
    for (String pair : filters.getOrDefault("label", List.of())) {
      String[] parts = pair.split("=", 2);
      labels.put(parts[0], parts.length > 1 ? parts[1] : "");
    }
    return labels;
  }

  private static byte[] readAll(
      com.github.dockerjava.api.command.CopyArchiveToContainerCmd command) {
    try (var tar = command.getTarInputStream()) {
      return tar.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
