package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What happened to the task, written only by the worker that owns it. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class AgentTaskStatus {
  @JsonPropertyDescription(
      "Pending, Preparing, Running, Succeeded, Failed, Cancelled or Dispatched; the last four"
          + " are final (Dispatched: handed to another runtime by the command backend).")
  private AgentTaskPhase phase;

  @JsonPropertyDescription(
      "Accepted, Queued (reason says why, e.g. AtCapacity), Started, Completed and TornDown, with"
          + " transition times; ReconcileError is True while reconciling the task fails (its"
          + " message says why) and False once a reconcile succeeds again.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("Worker replica running the task.")
  private String workerId;

  @JsonPropertyDescription("Pod of that worker replica.")
  private String podName;

  @JsonPropertyDescription("Node the task runs on.")
  private String nodeName;

  @JsonPropertyDescription("Container or process the backend started, for reattaching.")
  private BackendRef backendRef;

  @JsonPropertyDescription(
      "When the task was handed to its backend (RFC 3339); spec.timeout counts from here.")
  private String startedAt;

  @JsonPropertyDescription("When the task reached its final phase (RFC 3339).")
  private String finishedAt;

  @JsonPropertyDescription("Exit code of the agent; 128+N when killed by signal N.")
  private Integer exitCode;

  @JsonPropertyDescription("Why the task failed, from the Oz failure-reason list.")
  private FailureReason failureReason;

  @JsonPropertyDescription("Human-readable summary of the current phase or failure.")
  private String message;

  @JsonPropertyDescription("Last few KiB of the agent's output, with secret values redacted.")
  private String logTail;

  @JsonPropertyDescription("True once the final result was delivered to Oz.")
  private Boolean reported;

  @JsonPropertyDescription("metadata.generation of the spec this status describes.")
  private Long observedGeneration;

  public AgentTaskPhase getPhase() {
    return phase;
  }

  public void setPhase(AgentTaskPhase phase) {
    this.phase = phase;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public String getWorkerId() {
    return workerId;
  }

  public void setWorkerId(String workerId) {
    this.workerId = workerId;
  }

  public String getPodName() {
    return podName;
  }

  public void setPodName(String podName) {
    this.podName = podName;
  }

  public String getNodeName() {
    return nodeName;
  }

  public void setNodeName(String nodeName) {
    this.nodeName = nodeName;
  }

  public BackendRef getBackendRef() {
    return backendRef;
  }

  public void setBackendRef(BackendRef backendRef) {
    this.backendRef = backendRef;
  }

  public String getStartedAt() {
    return startedAt;
  }

  public void setStartedAt(String startedAt) {
    this.startedAt = startedAt;
  }

  public String getFinishedAt() {
    return finishedAt;
  }

  public void setFinishedAt(String finishedAt) {
    this.finishedAt = finishedAt;
  }

  public Integer getExitCode() {
    return exitCode;
  }

  public void setExitCode(Integer exitCode) {
    this.exitCode = exitCode;
  }

  public FailureReason getFailureReason() {
    return failureReason;
  }

  public void setFailureReason(FailureReason failureReason) {
    this.failureReason = failureReason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getLogTail() {
    return logTail;
  }

  public void setLogTail(String logTail) {
    this.logTail = logTail;
  }

  public Boolean getReported() {
    return reported;
  }

  public void setReported(Boolean reported) {
    this.reported = reported;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  // Equality lets the reconciler skip a status write when nothing changed.
  @Override
  public boolean equals(Object o) {
    return o instanceof AgentTaskStatus s
        && phase == s.phase
        && Objects.equals(conditions, s.conditions)
        && Objects.equals(workerId, s.workerId)
        && Objects.equals(podName, s.podName)
        && Objects.equals(nodeName, s.nodeName)
        && Objects.equals(backendRef, s.backendRef)
        && Objects.equals(startedAt, s.startedAt)
        && Objects.equals(finishedAt, s.finishedAt)
        && Objects.equals(exitCode, s.exitCode)
        && failureReason == s.failureReason
        && Objects.equals(message, s.message)
        && Objects.equals(logTail, s.logTail)
        && Objects.equals(reported, s.reported)
        && Objects.equals(observedGeneration, s.observedGeneration);
  }

  @Override
  public int hashCode() {
    return Objects.hash(phase, workerId, startedAt, finishedAt, exitCode, failureReason, reported);
  }
}
