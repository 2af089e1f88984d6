package dev.ozworker.intake;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Keeps a task's result behind its claim: Oz must never read {@code task_failed} for a task it was
 * not told was claimed. The AgentTask exists before its claim is sent (it is stored first), and a
 * task that fails at once (say, an invalid sidecar) can reach its result before the intake's thread
 * sends the claim. The intake marks the AgentTask while it stores and claims it; the result
 * reporter holds back the results of marked tasks and sends them once the claim has gone to the
 * link, which writes frames in the order it is given them.
 */
public final class ClaimOrder {
  private final Set<String> claiming = ConcurrentHashMap.newKeySet();
  private volatile Consumer<String> released = name -> {};

  /** The AgentTask {@code name} is being stored; its claim has not been sent yet. */
  public void claiming(String name) {
    claiming.add(name);
  }

  /** The claim of {@code name} went to the link, or nothing was stored: results may follow. */
  public void claimed(String name) {
    if (claiming.remove(name)) {
      released.accept(name);
    }
  }

  /** Whether the result of {@code name} must wait for its claim. */
  boolean holds(String name) {
    return claiming.contains(name);
  }

  /** Told the name of each task whose result no longer waits. */
  void onRelease(Consumer<String> release) {
    this.released = release;
  }
}
