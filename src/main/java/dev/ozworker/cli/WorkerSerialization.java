package dev.ozworker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ozworker.api.AgentTask;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/**
 * How the worker's client reads and writes Kubernetes objects: fabric8's serialization, told by
 * hand the kinds a watch sends the worker, instead of searching the class path for every kind
 * fabric8 knows.
 *
 * <p>That search, which fabric8's default serialization makes, loads a class and a mapping for each
 * of the model's kinds, most of which the worker never reads: 3 MiB of an idle worker's memory
 * (bench/README.md, "Fifth round"). A request for a named class (a get, a list, a create) reads
 * that class either way; only an object whose class the request does not name — a watch event's —
 * is looked up by its kind. A kind not listed here is then read as a generic resource and converted
 * to the class the watch was opened for: correct, one pass slower.
 */
final class WorkerSerialization {
  /**
   * What the worker watches: its tasks, their Pods (the Kubernetes backend) and the Events that
   * tell of a Pod's volume that cannot be mounted.
   */
  static final List<Class<? extends KubernetesResource>> WATCHED =
      List.of(AgentTask.class, Pod.class, Event.class);

  private WorkerSerialization() {}

  /** A new serialization knowing {@link #WATCHED}, for one client. */
  static KubernetesSerialization create() {
    KubernetesSerialization serialization = new KubernetesSerialization(new ObjectMapper(), false);
    WATCHED.forEach(serialization::registerKubernetesResource);
    return serialization;
  }
}
