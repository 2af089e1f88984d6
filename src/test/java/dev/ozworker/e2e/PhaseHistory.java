package dev.ozworker.e2e;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every phase each AgentTask of a namespace showed, in the order the API server's watch delivered
 * its versions, from the moment it is opened: a task's history can be checked for going back or
 * leaving a final phase. A watch that ends early makes the history incomplete, which {@link
 * #problem()} says.
 */
final class PhaseHistory implements Watcher<AgentTask>, AutoCloseable {
  /** No status, or a status without a phase: a task nobody has written yet. */
  static final String NONE = "-";

  private final Map<String, List<String>> phases = new ConcurrentHashMap<>();
  private final Watch watch;
  private volatile String problem;

  private PhaseHistory(KubernetesClient client, String namespace) {
    this.watch = client.resources(AgentTask.class).inNamespace(namespace).watch(this);
  }

  static PhaseHistory watch(KubernetesClient client, String namespace) {
    return new PhaseHistory(client, namespace);
  }

  @Override
  public void eventReceived(Action action, AgentTask task) {
    if (action == Action.ERROR || action == Action.BOOKMARK) {
      return;
    }
    String phase =
        task.getStatus() == null || task.getStatus().getPhase() == null
            ? NONE
            : task.getStatus().getPhase().name();
    List<String> seen =
        phases.computeIfAbsent(task.getMetadata().getName(), name -> new ArrayList<>());
    synchronized (seen) {
      if (seen.isEmpty() || !seen.getLast().equals(phase)) {
        seen.add(phase);
      }
    }
  }

  @Override
  public void onClose(WatcherException cause) {
    problem = "the watch of AgentTasks ended early: " + cause;
  }

  /** The phases the task went through, each change once. */
  List<String> of(String name) {
    List<String> seen = phases.getOrDefault(name, List.of());
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }

  /** Why the history may be incomplete; empty while the watch runs. */
  Optional<String> problem() {
    return Optional.ofNullable(problem);
  }

  /**
   * What is wrong with a history: a phase after a final one, or a phase going back (Pending,
   * Preparing, Running, then one final phase); empty when it only moved forward.
   */
  static Optional<String> wrongTurn(List<String> history) {
    int rank = -1;
    String terminal = null;
    for (String phase : history) {
      if (terminal != null) {
        return Optional.of("left the final phase " + terminal + " for " + phase);
      }
      int next = rank(phase);
      if (next < rank) {
        return Optional.of("went back to " + phase);
      }
      rank = next;
      if (!phase.equals(NONE) && AgentTaskPhase.valueOf(phase).isTerminal()) {
        terminal = phase;
      }
    }
    return Optional.empty();
  }

  private static int rank(String phase) {
    if (phase.equals(NONE)) {
      return -1;
    }
    AgentTaskPhase known = AgentTaskPhase.valueOf(phase);
    return known.isTerminal() ? AgentTaskPhase.Succeeded.ordinal() : known.ordinal();
  }

  @Override
  public void close() {
    watch.close();
  }
}
