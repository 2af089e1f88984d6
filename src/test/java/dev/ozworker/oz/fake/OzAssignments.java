package dev.ozworker.oz.fake;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/** The {@code data} of task assignments as Oz sends them, for tests and benchmarks. */
public final class OzAssignments {
  private static final ObjectMapper JSON = new ObjectMapper();

  private OzAssignments() {}

  /** A team task with a title, a prompt and {@code env} as its env_vars. */
  public static ObjectNode assignment(String taskId, Map<String, String> env) {
    ObjectNode data = JSON.createObjectNode().put("task_id", taskId);
    ObjectNode task = data.putObject("task").put("id", taskId).put("title", "Task " + taskId);
    task.putObject("task_definition").put("prompt", "do " + taskId);
    task.putObject("owner").put("Type", "TEAM").put("Id", 7);
    ObjectNode vars = data.putObject("env_vars");
    env.forEach(vars::put);
    return data;
  }

  public static ObjectNode assignment(String taskId) {
    return assignment(taskId, Map.of());
  }
}
