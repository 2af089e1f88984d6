package dev.ozworker.backend.direct;

import dev.ozworker.config.EnvVar;
import dev.ozworker.task.TaskEnv;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environments of one run's processes, by the rules in docs/protocol.md ("Direct"). Pure: the
 * host's environment comes in as a map, so what reaches each process can be shown without starting
 * one.
 *
 * <ul>
 *   <li>The <b>task env</b>: the task's variables, then the operator's {@code environment}, then
 *       the harness's state directory, then {@code GIT_CONFIG_GLOBAL}; a later one wins.
 *   <li>{@code setup_command} gets the worker's environment without the worker's own secrets
 *       ({@code WARP_API_KEY} and {@code secret_env_names}: {@code host} comes without them), the
 *       task env and the {@code OZ_*} variables: it provisions the workspace and may need the
 *       worker's tools.
 *   <li>The agent gets only {@code HOME}, {@code TMPDIR} and {@code PATH} from the host, then the
 *       task env, then what setup wrote to its dotenv file, then {@code GIT_CONFIG_GLOBAL} again:
 *       never the worker's own credentials such as {@code WARP_API_KEY}.
 *   <li>{@code teardown_command} gets the worker's environment (without its secrets) and the {@code
 *       OZ_*} variables but not the task env: it may run after a restart, when the task's secrets
 *       are not at hand. Its git reads no global config ({@link #TEARDOWN_GIT}): the run's {@code
 *       .gitconfig} and the worker's HOME are the agent's to write.
 * </ul>
 *
 * @param host the worker's own environment, without the worker's own secrets
 * @param task the task's variables
 * @param operator the operator's {@code backend.direct.environment}
 * @param harness the task's harness type; empty for none
 * @param workspace where the run works
 * @param gitConfig the run's own global git config file
 * @param runId the run's id
 */
record AgentEnvironment(
    Map<String, String> host,
    TaskEnv task,
    List<EnvVar> operator,
    String harness,
    Path workspace,
    Path gitConfig,
    String runId) {

  /** What the agent may take from the host: nothing that identifies or empowers the worker. */
  static final List<String> AGENT_HOST_VARIABLES = List.of("HOME", "TMPDIR", "PATH");

  /** State directories that keep a third-party harness's files inside the workspace. */
  static final Map<String, Map.Entry<String, String>> HARNESS_STATE =
      Map.of(
          "claude", Map.entry("CLAUDE_CONFIG_DIR", ".claude"),
          "codex", Map.entry("CODEX_HOME", ".codex"));

  /**
   * The git settings teardown runs with. No global config: the run's {@code .gitconfig} is in the
   * agent's workspace and HOME may be shared with the agent, so either could make git run a command
   * of the agent's choosing in teardown. The workspace's own {@code .git/config} is the agent's
   * too; the command-line settings here win over it for the keys that run a command on the commands
   * teardowns use (status, add, commit, push): hooks and the file-system monitor. What else that
   * config can make git run runs with the agent's rights when {@code run_as_uid} is set, since
   * teardown runs as that uid too (docs/security.md).
   */
  static final Map<String, String> TEARDOWN_GIT =
      Map.of(
          "GIT_CONFIG_GLOBAL", "/dev/null",
          "GIT_CONFIG_COUNT", "3",
          "GIT_CONFIG_KEY_0", "core.hooksPath",
          "GIT_CONFIG_VALUE_0", "/dev/null",
          "GIT_CONFIG_KEY_1", "core.fsmonitor",
          "GIT_CONFIG_VALUE_1", "false",
          "GIT_CONFIG_KEY_2", "protocol.ext.allow",
          "GIT_CONFIG_VALUE_2", "never");

  AgentEnvironment {
    host = Map.copyOf(host);
    operator = List.copyOf(operator);
  }

  /** The task env: task, operator, harness state, git config; later wins. */
  Map<String, String> taskEnv() {
    Map<String, String> env = new LinkedHashMap<>(task.asMap());
    operator.forEach(variable -> env.put(variable.name(), variable.value()));
    var state = HARNESS_STATE.get(harness);
    if (state != null) {
      env.put(state.getKey(), workspace.resolve(state.getValue()).toString());
    }
    env.put("GIT_CONFIG_GLOBAL", gitConfig.toString());
    return env;
  }

  /** For {@code setup_command}, which writes its dotenv to {@code environmentFile}. */
  Map<String, String> setup(Path environmentFile) {
    Map<String, String> env = new LinkedHashMap<>(host);
    env.putAll(taskEnv());
    env.putAll(ozVariables(workspace, runId));
    env.put("OZ_ENVIRONMENT_FILE", environmentFile.toString());
    return env;
  }

  /** For the agent, with the values setup wrote to its dotenv file. */
  Map<String, String> agent(Map<String, String> fromSetup) {
    Map<String, String> env = new LinkedHashMap<>();
    AGENT_HOST_VARIABLES.stream()
        .filter(host::containsKey)
        .forEach(name -> env.put(name, host.get(name)));
    env.putAll(taskEnv());
    env.putAll(fromSetup);
    env.put("GIT_CONFIG_GLOBAL", gitConfig.toString());
    return env;
  }

  /**
   * For {@code teardown_command}: needs no task, so it works for a run found after a restart.
   *
   * @param host the worker's environment without its own secrets
   */
  static Map<String, String> teardown(Map<String, String> host, Path workspace, String runId) {
    Map<String, String> env = new LinkedHashMap<>(host);
    env.keySet().removeIf(name -> name.startsWith("GIT_CONFIG"));
    env.putAll(ozVariables(workspace, runId));
    env.putAll(TEARDOWN_GIT);
    return env;
  }

  private static Map<String, String> ozVariables(Path workspace, String runId) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("OZ_WORKSPACE_ROOT", workspace.toString());
    env.put("OZ_WORKER_BACKEND", "direct");
    env.put("OZ_RUN_ID", runId);
    return env;
  }
}
