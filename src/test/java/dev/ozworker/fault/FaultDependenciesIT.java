package dev.ozworker.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.kube.ClusterWithCrd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's dependencies fail under it, each in a world of its own and all three at once (they
 * share nothing, so running them in parallel is honest and bounds the suite's time): a private
 * dockerd restarted mid-task, the Kubernetes API unavailable for 30 s, the Oz server refusing
 * connections for a minute. Every task ends with one result, the worker recovers without a restart,
 * nothing is left behind.
 */
class FaultDependenciesIT {
  @RegisterExtension static final ClusterWithCrd cluster = new ClusterWithCrd();

  @TempDir Path root;

  @Test
  void tasksContinueAndResultsArriveOnceWhileDockerdTheApiAndOzFailAtOnce() throws Exception {
    long began = System.nanoTime();
    List<Future<FaultReport>> running = new ArrayList<>();
    try (ExecutorService scenarios = Executors.newCachedThreadPool()) {
      running.add(
          scenarios.submit(
              new DockerdRestartScenario(
                  cluster.client(), Files.createDirectories(root.resolve("dockerd")))));
      running.add(
          scenarios.submit(
              new ApiOutageScenario(
                  cluster.client(), Files.createDirectories(root.resolve("api")))));
      running.add(
          scenarios.submit(
              new OzRefusalScenario(
                  cluster.client(), Files.createDirectories(root.resolve("oz")))));
    }
    List<FaultReport> reports = new ArrayList<>();
    List<Throwable> unfinished = new ArrayList<>();
    for (Future<FaultReport> scenario : running) {
      try {
        reports.add(scenario.get().print());
      } catch (ExecutionException e) {
        unfinished.add(e.getCause());
      }
    }
    if (!unfinished.isEmpty()) {
      // every scenario's failure, not just the first one's: they run side by side
      AssertionError error =
          new AssertionError(
              unfinished.size()
                  + " of 3 scenarios did not finish: "
                  + unfinished.stream().map(Throwable::getMessage).toList());
      unfinished.forEach(error::addSuppressed);
      throw error;
    }
    System.out.printf(
        "fault-suite dependencies: all three in %d s%n",
        (System.nanoTime() - began) / 1_000_000_000);
    assertThat(reports).allSatisfy(report -> assertThat(report.clean()).as(report.line()).isTrue());
  }
}
