package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.oz.fake.FakeOzServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/**
 * A valid task whose every free-text field carries shell syntax that would create a marker file if
 * any shell read it. The stand-in CLI records its argv and environment; each string must be there
 * verbatim, as one argument or one variable.
 */
final class FaultShellTask {
  /** Safe as a task id (one path component, no whitespace, not a flag) and still shell syntax. */
  static final String ID = "sh$(touch${IFS}pwned-id)`touch${IFS}pwned-id2`;|&<>";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final FakeOzServer oz;
  private final FaultLink link;
  private final String workerId;
  private final Path records;
  private final String shell;

  FaultShellTask(FakeOzServer oz, FaultLink link, String workerId, Path records, Path marker) {
    this.oz = oz;
    this.link = link;
    this.workerId = workerId;
    this.records = records.resolve("shell");
    this.shell = FaultHostileFrames.shell(marker.toString());
  }

  String id() {
    return ID;
  }

  void send() {
    ObjectNode data = JSON.createObjectNode().put("task_id", ID).put("execution_id", shell);
    data.put("docker_image", shell).put("sidecar_image", shell);
    data.putArray("additional_sidecars")
        .addObject()
        .put("image", shell)
        .put("mount_path", "/mnt/" + shell);
    data.putArray("additional_oz_args").add(shell).add("--flag=" + shell);
    data.putObject("env_vars")
        .put("STANDIN_RECORDS", records.toString())
        .put("SHELL_VAR", shell)
        .put("STANDIN_SAY", shell);
    ObjectNode task =
        data.putObject("task")
            .put("id", ID)
            .put("title", shell)
            .put("agent_conversation_id", shell);
    task.putObject("task_definition").put("prompt", shell);
    task.putObject("owner").put("Type", shell).put("Id", 7);
    ObjectNode config =
        task.putObject("agent_config_snapshot")
            .put("environment_id", shell)
            .put("base_prompt", shell)
            .put("model_id", shell)
            .put("profile_id", shell)
            .put("skill_spec", shell);
    config.putObject("harness").put("type", shell);
    config.putObject("mcp_servers").putObject(shell).put("command", shell);
    config
        .putObject("inference_providers")
        .putObject("aws")
        .put("role_arn", shell)
        .put("region", shell);
    config.putObject("session_sharing").put("public_access", shell);
    link.send(() -> oz.assign(workerId, data));
  }

  /** What the stand-in recorded that is not the strings verbatim; empty when all is well. */
  List<String> problems() throws Exception {
    await().atMost(WAIT).until(() -> Files.exists(records.resolve("argv")));
    List<String> argv = FaultHostileFramesIT.nulSeparated(records.resolve("argv"));
    List<String> environ = FaultHostileFramesIT.nulSeparated(records.resolve("environ"));
    List<String> problems = new ArrayList<>();
    for (String flag :
        List.of(
            "--profile",
            "--skill",
            "--harness",
            "--environment",
            "--bedrock-inference-role",
            "--bedrock-role-region")) {
      if (Collections.indexOfSubList(argv, List.of(flag, shell)) < 0) {
        problems.add(flag + " is not followed by the string verbatim: " + argv);
      }
    }
    if (Collections.indexOfSubList(argv, List.of("--task-id", ID)) < 0) {
      problems.add("--task-id is not followed by the id verbatim: " + argv);
    }
    if (Collections.indexOfSubList(argv, List.of(shell, "--flag=" + shell)) < 0) {
      problems.add("additional_oz_args are not passed verbatim: " + argv);
    }
    // The Direct backend passes --mcp as a file the CLI reads (off /proc/<pid>/cmdline); the
    // stand-in records what it read there
    Path mcpFiles = records.resolve("mcp");
    List<String> mcp =
        Files.exists(mcpFiles) ? FaultHostileFramesIT.nulSeparated(mcpFiles) : List.of();
    if (Stream.concat(argv.stream(), mcp.stream())
        .noneMatch(arg -> arg.strip().startsWith("{") && arg.contains("touch"))) {
      problems.add(
          "--mcp does not carry the servers as one JSON value, inline or in its file: " + argv);
    }
    if (!environ.contains("SHELL_VAR=" + shell) || !environ.contains("TASK_ID=" + ID)) {
      problems.add("the environment does not carry the strings verbatim");
    }
    return problems;
  }
}
