package dev.ozworker.demo;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskStatus;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The demo's live view of its AgentTasks, in the CRD's printer columns (as {@code kubectl get
 * agenttasks -w} prints them): a row each time a task's phase, worker, exit code or reason changes.
 */
public final class TaskTable {
  private static final String FORMAT = "  %-26s %-10s %-30s %-12s %-5s %-18s %s%n";

  private final PrintWriter out;
  private final Clock clock;
  private final Map<String, String> shown = new ConcurrentHashMap<>();

  public TaskTable(PrintWriter out, Clock clock) {
    this.out = out;
    this.clock = clock;
  }

  public void header() {
    synchronized (out) {
      out.printf(FORMAT, "NAME", "PHASE", "TITLE", "WORKER", "EXIT", "REASON", "AGE");
      out.flush();
    }
  }

  /** Prints the task's row if it differs from the last one shown for it. */
  public void show(AgentTask task) {
    String[] row = row(task, clock.instant());
    String key = String.join("|", row[0], row[1], row[2], row[3], row[4], row[5]);
    if (key.equals(shown.put(task.getMetadata().getName(), key))) {
      return;
    }
    synchronized (out) {
      out.printf(FORMAT, (Object[]) row);
      out.flush();
    }
  }

  /** NAME PHASE TITLE WORKER EXIT REASON AGE, empty cells as kubectl leaves them. */
  static String[] row(AgentTask task, Instant now) {
    AgentTaskStatus status = task.getStatus() == null ? new AgentTaskStatus() : task.getStatus();
    String title =
        task.getSpec() == null || task.getSpec().getTitle() == null
            ? ""
            : task.getSpec().getTitle();
    return new String[] {
      task.getMetadata().getName(),
      status.getPhase() == null ? "" : status.getPhase().name(),
      title.length() > 30 ? title.substring(0, 29) + "…" : title,
      status.getWorkerId() == null ? "" : status.getWorkerId(),
      status.getExitCode() == null ? "" : status.getExitCode().toString(),
      status.getFailureReason() == null ? "" : status.getFailureReason().wireName(),
      age(task.getMetadata().getCreationTimestamp(), now)
    };
  }

  private static String age(String created, Instant now) {
    if (created == null) {
      return "";
    }
    Duration age = Duration.between(Instant.parse(created), now);
    return age.isNegative() ? "0s" : age.toSeconds() + "s";
  }
}
