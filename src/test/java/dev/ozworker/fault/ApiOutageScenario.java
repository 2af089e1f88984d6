package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTaskPhase;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Kubernetes API unavailable to the worker for 30 s ({@link ApiOutageProxy} in front of the
 * real API server) while three tasks run and finish (Direct backend): once the API is back, their
 * statuses are written and their results reach Oz, each once, from the same worker process, which
 * then serves a new task. An assignment that arrives during the outage cannot be stored, so it must
 * be rejected (Oz keeps it queued), never claimed.
 */
final class ApiOutageScenario implements Callable<FaultReport> {
  static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final Pattern SERVER = Pattern.compile("server: (https?://[^\\s]+)");

  private final KubernetesClient client;
  private final Path root;

  ApiOutageScenario(KubernetesClient client, Path root) {
    this.client = client;
    this.root = root;
  }

  @Override
  public FaultReport call() throws Exception {
    Path original = Path.of(System.getenv("KUBECONFIG"));
    String kubeconfig = Files.readString(original);
    Matcher server = SERVER.matcher(kubeconfig);
    if (!server.find()) {
      throw new IllegalStateException("no server: line in " + original);
    }
    URI api = URI.create(server.group(1));
    DirectKillStage stage = new DirectKillStage(root);
    List<String> tasks = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try (ApiOutageProxy proxy =
        new ApiOutageProxy(new InetSocketAddress(api.getHost(), api.getPort()))) {
      proxy.restore();
      Path proxied = root.resolve("kubeconfig");
      Files.writeString(
          proxied,
          server.replaceFirst(
              Matcher.quoteReplacement("server: https://127.0.0.1:" + proxy.port())));
      try (DependencyRig rig =
          new DependencyRig(client, root, "api-outage", stage.backendYaml(), Map.of(), proxied)) {
        rig.worker.start();
        String workerId = rig.worker.workerId();
        for (int i = 0; i < 3; i++) {
          String taskId = "api-outage-" + i;
          tasks.add(taskId);
          rig.oz.assign(workerId, stage.assignment(taskId, KillPoint.RUNNING));
          stage.awaitPoint(taskId, KillPoint.RUNNING);
          await()
              .atMost(DependencyRig.WAIT)
              .until(() -> rig.phase(taskId) == AgentTaskPhase.Running);
        }
        long outageBegan = System.nanoTime();
        proxy.cut();
        for (String taskId : tasks) {
          stage.finishAgent(taskId);
        }
        String during = "api-outage-during";
        rig.oz.assign(workerId, stage.assignment(during, KillPoint.STORED));
        // The outage is the scenario's length: the API comes back when 30 s are up.
        await()
            .atMost(OUTAGE.plusSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> Duration.ofNanos(System.nanoTime() - outageBegan).compareTo(OUTAGE) >= 0);
        int resultsDuringOutage =
            tasks.stream().mapToInt(id -> rig.ledger.results(id).size()).sum();
        proxy.restore();
        long back = System.nanoTime();
        rig.awaitSettled(tasks, DependencyRig.WAIT);
        Duration delivered = Duration.ofNanos(System.nanoTime() - back);
        await()
            .atMost(DependencyRig.WAIT)
            .until(
                () ->
                    !rig.oz.framesAbout(during, "task_rejected").isEmpty()
                        || !rig.oz.framesAbout(during, "task_claimed").isEmpty());
        boolean rejected = !rig.oz.framesAbout(during, "task_rejected").isEmpty();
        if (!rejected) {
          // claimed: then it must also run to its one result like the others
          tasks.add(during);
        }

        String fresh = "api-outage-after";
        tasks.add(fresh);
        rig.oz.assign(workerId, stage.assignment(fresh, KillPoint.STORED));
        rig.awaitSettled(tasks, DependencyRig.WAIT);
        if (rig.worker.generations() != 1 || !rig.worker.isAlive()) {
          problems.add("the worker did not keep running as one process");
        }
        rig.close();
        List<String> leftovers = stage.leftovers();
        return new FaultReport(
            "kube-api-down-30s",
            tasks.size(),
            problems.size(),
            rig.ledger.lost(tasks),
            rig.ledger.duplicates(tasks),
            leftovers.size(),
            "outage=%ds resultsDuringOutage=%d assignmentDuringOutage=%s resent=%d deliveredAfter=%dms"
                    .formatted(
                        OUTAGE.toSeconds(),
                        resultsDuringOutage,
                        rejected ? "rejected" : "claimed",
                        rig.ledger.resent(tasks),
                        delivered.toMillis())
                + (problems.isEmpty() ? "" : " problems=" + problems + leftovers));
      }
    }
  }
}
