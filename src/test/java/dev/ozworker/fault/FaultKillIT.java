package dev.ozworker.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.kube.ClusterWithCrd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker jar killed with SIGKILL at seeded random points of its tasks' lives (stored, being
 * prepared, running, exited but unreported, tearing down), 25 times on the Direct backend and 25
 * times on the Docker backend, started again under the same worker id after each kill. Task state
 * lives on a real API server (kube-local, a namespace per campaign), so it survives the kill. At
 * the end every task has exactly one result at Oz, no agent started twice, and no process,
 * workspace or container is left. The two campaigns share nothing and run side by side, which
 * bounds the suite's time. The seed is printed; {@code -Dfault.seed=N} replays a sequence of kill
 * points, {@code -Dfault.kills=N} changes the number of kills per backend.
 */
class FaultKillIT {
  static final int KILLS = Integer.getInteger("fault.kills", 25);

  @RegisterExtension static final ClusterWithCrd cluster = new ClusterWithCrd();

  @TempDir Path root;

  @Test
  void tasksSurviveKillsAtEveryPointWithOneResultEachAndNothingLeftOnBothBackends()
      throws Exception {
    long seed = Long.getLong("fault.seed", System.nanoTime());
    Path directRoot = Files.createDirectories(root.resolve("direct"));
    Path dockerRoot = Files.createDirectories(root.resolve("docker"));
    FaultImage image = FaultImage.importInto(FaultDockerd.SHARED);
    Future<KillCampaign.Outcome> direct;
    Future<KillCampaign.Outcome> docker;
    try (ExecutorService campaigns = Executors.newCachedThreadPool()) {
      direct =
          campaigns.submit(
              () -> {
                DirectKillStage stage = new DirectKillStage(directRoot);
                return new KillCampaign(cluster.client(), directRoot, KILLS, seed)
                    .run("kill-9 direct", "fault-kill-direct", stage, stage::finishAgent);
              });
      docker =
          campaigns.submit(
              () -> {
                String workerId =
                    "fault-kill-docker-" + UUID.randomUUID().toString().substring(0, 6);
                KillCampaign campaign =
                    new KillCampaign(cluster.client(), dockerRoot, KILLS, seed + 1);
                DockerKillStage stage =
                    new DockerKillStage(dockerRoot, image, workerId, campaign::reached);
                return campaign.run("kill-9 docker", workerId, stage, stage::finishAgent);
              });
    } finally {
      image.remove();
    }
    KillCampaign.Outcome directOutcome = direct.get();
    KillCampaign.Outcome dockerOutcome = docker.get();
    directOutcome.report().print();
    dockerOutcome.report().print();

    assertThat(directOutcome.leftovers()).as("left behind by the Direct campaign").isEmpty();
    assertThat(dockerOutcome.leftovers()).as("left behind by the Docker campaign").isEmpty();
    assertThat(directOutcome.report().clean()).as(directOutcome.report().line()).isTrue();
    assertThat(dockerOutcome.report().clean()).as(dockerOutcome.report().line()).isTrue();
  }
}
