package dev.ozworker.backend.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.task.Sidecar;
import dev.ozworker.task.TaskSpec;
import java.nio.charset.StandardCharsets;

/**
 * What {@code dispatch_command} reads on stdin: version 1 of the reference worker's dispatch
 * payload (docs/protocol.md, "Command"). It holds the task's whole environment, secrets included:
 * stdin is the only way they reach the dispatch command, never its environment or arguments.
 *
 * <p>{@code task} is the Oz task as far as the AgentTask keeps it: its {@code id} (absent for a
 * user-authored task). The AgentTask stores what the task resolves to, not Oz's object, so its
 * other fields cannot be given back; a runtime reads them with the CLI's {@code --task-id}.
 */
final class DispatchPayload {
  static final int VERSION = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private DispatchPayload() {}

  /**
   * @param serverRootUrl the worker's {@code server_root_url}, empty when unset
   */
  static ObjectNode of(TaskSpec spec, String serverRootUrl, String workerId) {
    ObjectNode payload = MAPPER.createObjectNode();
    payload.put("version", VERSION);
    payload.put("run_id", spec.runId());
    payload.put("execution_id", spec.executionId().orElse(""));
    payload.put("server_root_url", serverRootUrl);
    payload.put("worker_id", workerId);
    payload.put("docker_image", spec.image());
    ArrayNode args = payload.putArray("base_args");
    spec.ozArgs().forEach(args::add);
    ObjectNode env = payload.putObject("env");
    spec.env().asMap().forEach(env::put);
    ArrayNode sidecars = payload.putArray("sidecars");
    for (Sidecar sidecar : spec.sidecars()) {
      sidecars
          .addObject()
          .put("image", sidecar.image())
          .put("mount_path", sidecar.mountPath())
          .put("read_write", sidecar.readWrite());
    }
    if (spec.ozTaskId().isPresent()) {
      payload.putObject("task").put("id", spec.ozTaskId().get());
    } else {
      payload.putNull("task");
    }
    return payload;
  }

  static byte[] bytes(ObjectNode payload) {
    try {
      return MAPPER.writeValueAsString(payload).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings always serializes", e);
    }
  }
}
