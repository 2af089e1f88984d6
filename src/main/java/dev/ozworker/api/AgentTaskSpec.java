package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import java.util.ArrayList;
import java.util.List;

/**
 * What to run. Tasks from Oz carry the assignment here (minus its secrets, which go to the Secret
 * named by {@code envFrom}); a user-authored task needs only a title and a prompt.
 */
// Empty strings, lists and maps are left out when written: an empty optional field means absent,
// and some API servers (v1.20 as Debian builds it) refuse "" in any string field of a custom
// resource with HTTP 422. Every type of the spec and status does the same.
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class AgentTaskSpec {
  @JsonPropertyDescription("Oz task id; empty on user-authored tasks, which are never reported.")
  private String taskId;

  @JsonPropertyDescription("Oz execution id of this run of the task.")
  private String executionId;

  @JsonPropertyDescription("Short human title, shown by kubectl get.")
  private String title;

  @JsonPropertyDescription("What the agent is asked to do.")
  private String prompt;

  @JsonPropertyDescription(
      "Container image of the task (Docker backend); the worker's default image when empty.")
  private String image;

  @JsonPropertyDescription(
      "Image holding the agent entrypoint and CLI, mounted read-only at /agent (Docker backend).")
  private String sidecarImage;

  @JsonPropertyDescription("Further images mounted into the task's container, in order.")
  private List<SidecarMount> additionalSidecars = new ArrayList<>();

  @JsonPropertyDescription("Extra arguments for `oz agent run`, passed verbatim after the others.")
  private List<String> additionalOzArgs = new ArrayList<>();

  @JsonPropertyDescription("CPU and memory limits of the task's container (Docker backend).")
  private InstanceShape instanceShape;

  @JsonPropertyDescription("Agent configuration snapshotted by Oz; decides the CLI flags.")
  private AgentConfig agentConfig;

  @JsonPropertyDescription("Owner of the task in Oz.")
  private TaskOwner owner;

  @JsonPropertyDescription(
      "Secret holding the task's environment variables; values never appear in the AgentTask.")
  private EnvSource envFrom;

  @JsonPropertyDescription(
      "Backend override: docker, direct, kubernetes or command; the worker's backend when empty.")
  @Pattern("^(docker|direct|kubernetes|command)?$")
  private String backend;

  @JsonPropertyDescription(
      "Longest the agent may run, as a duration such as 90m or 1h30m; the worker's task_timeout"
          + " when empty.")
  @Pattern("^(([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)?$")
  private String timeout;

  @JsonPropertyDescription(
      "Set to true to cancel the task; teardown still runs and the task ends Cancelled.")
  private Boolean cancel;

  public String getTaskId() {
    return taskId;
  }

  public void setTaskId(String taskId) {
    this.taskId = taskId;
  }

  public String getExecutionId() {
    return executionId;
  }

  public void setExecutionId(String executionId) {
    this.executionId = executionId;
  }

  public String getTitle() {
    return title;
  }

  public void setTitle(String title) {
    this.title = title;
  }

  public String getPrompt() {
    return prompt;
  }

  public void setPrompt(String prompt) {
    this.prompt = prompt;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public String getSidecarImage() {
    return sidecarImage;
  }

  public void setSidecarImage(String sidecarImage) {
    this.sidecarImage = sidecarImage;
  }

  public List<SidecarMount> getAdditionalSidecars() {
    return additionalSidecars;
  }

  public void setAdditionalSidecars(List<SidecarMount> additionalSidecars) {
    this.additionalSidecars = additionalSidecars;
  }

  public List<String> getAdditionalOzArgs() {
    return additionalOzArgs;
  }

  public void setAdditionalOzArgs(List<String> additionalOzArgs) {
    this.additionalOzArgs = additionalOzArgs;
  }

  public InstanceShape getInstanceShape() {
    return instanceShape;
  }

  public void setInstanceShape(InstanceShape instanceShape) {
    this.instanceShape = instanceShape;
  }

  public AgentConfig getAgentConfig() {
    return agentConfig;
  }

  public void setAgentConfig(AgentConfig agentConfig) {
    this.agentConfig = agentConfig;
  }

  public TaskOwner getOwner() {
    return owner;
  }

  public void setOwner(TaskOwner owner) {
    this.owner = owner;
  }

  public EnvSource getEnvFrom() {
    return envFrom;
  }

  public void setEnvFrom(EnvSource envFrom) {
    this.envFrom = envFrom;
  }

  public String getBackend() {
    return backend;
  }

  public void setBackend(String backend) {
    this.backend = backend;
  }

  public String getTimeout() {
    return timeout;
  }

  public void setTimeout(String timeout) {
    this.timeout = timeout;
  }

  public Boolean getCancel() {
    return cancel;
  }

  public void setCancel(Boolean cancel) {
    this.cancel = cancel;
  }
}
