package dev.ozworker.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One Oz agent run on this worker pool. Created by the worker for each assignment from Oz, or by a
 * user with {@code kubectl apply}; driven to a terminal phase by the controller.
 */
@Group(AgentTask.GROUP)
@Version(AgentTask.VERSION)
@ShortNames("at")
// Named here, though these are the names fabric8 would derive: derived, they cost a run of
// pluralisation rules (regular expressions) on every AgentTask made, read or written.
@Plural("agenttasks")
@Singular("agenttask")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = Type.STRING)
@AdditionalPrinterColumn(name = "Title", jsonPath = ".spec.title", type = Type.STRING)
@AdditionalPrinterColumn(name = "Worker", jsonPath = ".status.workerId", type = Type.STRING)
@AdditionalPrinterColumn(name = "Exit", jsonPath = ".status.exitCode", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.failureReason", type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
public class AgentTask extends CustomResource<AgentTaskSpec, AgentTaskStatus>
    implements Namespaced {
  public static final String GROUP = "ozworker.dev";
  public static final String VERSION = "v1alpha1";

  // Overridden only to describe the two halves for `kubectl explain agenttask`.
  @Override
  @JsonPropertyDescription(
      "What to run: a title and a prompt, and for tasks from Oz the assignment's image, sidecars,"
          + " agent configuration and the Secret holding its environment.")
  public AgentTaskSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("What happened: phase, conditions, exit code, failure reason, log tail.")
  public AgentTaskStatus getStatus() {
    return super.getStatus();
  }
}
