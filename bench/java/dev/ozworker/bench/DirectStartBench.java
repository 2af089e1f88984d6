package dev.ozworker.bench;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.controller.MockApi;
import dev.ozworker.oz.fake.FakeOzServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claim → agent process started with the Direct backend: from the {@code task_claimed} frame
 * arriving at the fake Oz server to the stand-in CLI announcing itself on a FIFO. The floor is a
 * raw fork/exec of the same stand-in with the same environment, timed to the same signal; the
 * reference is the Go worker's Direct backend on the same server and stand-in. One task at a time,
 * each after the previous one's result arrived.
 */
class DirectStartBench {
  static final int WARM_UP = BenchSize.of(10, 2);
  static final int RUNS = BenchSize.of(100, 5);

  @TempDir Path dir;

  @Test
  void claimToAgentStarted() throws Exception {
    Path oz = StandIn.install(dir.resolve("bin"));
    Optional<Path> binary = ReferenceWorkerProcess.binary();
    try (StartSignals signals = StartSignals.open(dir);
        FakeOzServer server = FakeOzServer.start(OurWorker.API_KEY);
        MockApi api = MockApi.startUnchecked()) {
      FrameWatch frames = FrameWatch.on(server);
      long[] floor = forkExec(oz, signals, "floor", WARM_UP, RUNS);
      long[][] ours;
      try (OurWorker worker =
          OurWorker.direct(api.client(), false, server, "bench-direct", oz, dir.resolve("ours"))) {
        ours = viaWorker(server, frames, signals, "bench-direct", "ours");
      }
      long[][] reference = null;
      if (binary.isPresent()) {
        try (ReferenceWorkerProcess go =
            ReferenceWorkerProcess.start(
                binary.get(),
                server.webSocketUrl(),
                OurWorker.API_KEY,
                "bench-direct-ref",
                oz,
                Files.createDirectories(dir.resolve("reference")))) {
          org.awaitility.Awaitility.await()
              .atMost(java.time.Duration.ofSeconds(30))
              .until(() -> server.isConnected("bench-direct-ref") || !go.isAlive());
          assertThat(go.isAlive()).as("reference worker, log %s", go.log()).isTrue();
          reference = viaWorker(server, frames, signals, "bench-direct-ref", "ref");
        }
      }
      Figure started =
          Figure.of("direct_claim_to_started", "ms", Stats.millis(ours[1]))
              .withFloor(Stats.millis(floor), "raw fork/exec of the same stand-in CLI")
              .withTarget(Target.floorPlus(30));
      Figure claim =
          Figure.of("direct_assignment_to_claimed", "ms", Stats.millis(ours[0]))
              .withFloor(Stats.millis(floor), "raw fork/exec of the same stand-in CLI");
      if (reference != null) {
        started = started.withReference(Stats.millis(reference[1]));
        claim = claim.withReference(Stats.millis(reference[0]));
      }
      new BenchReport("direct-start")
          .figure(started)
          .figure(claim)
          .fact("runs", RUNS)
          .fact("reference_present", reference == null ? 0 : 1)
          .write();
    }
  }

  /** Fork/exec of the stand-in → its start signal, in ns, after {@code warmUp} unmeasured runs. */
  static long[] forkExec(Path oz, StartSignals signals, String prefix, int warmUp, int runs)
      throws Exception {
    long[] samples = new long[runs];
    for (int i = -warmUp; i < runs; i++) {
      String id = prefix + "-" + i;
      ProcessBuilder builder =
          new ProcessBuilder(oz.toString(), "agent", "run", "--task-id", id)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      builder.environment().putAll(StandIn.env(signals, id));
      long before = System.nanoTime();
      Process process = builder.start();
      long started = signals.await(id).nanos();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      if (i >= 0) {
        samples[i] = started - before;
      }
    }
    return samples;
  }

  /**
   * Assignment → claimed, and claimed → stand-in started, in ns, for {@link #RUNS} tasks one at a
   * time after {@link #WARM_UP} unmeasured ones.
   */
  static long[][] viaWorker(
      FakeOzServer server, FrameWatch frames, StartSignals signals, String workerId, String prefix)
      throws Exception {
    long[] claim = new long[RUNS];
    long[] start = new long[RUNS];
    for (int i = -WARM_UP; i < RUNS; i++) {
      String id = workerId + "-" + prefix + "-" + i;
      long sent = System.nanoTime();
      server.assign(workerId, assignment(id, StandIn.env(signals, id)));
      long claimed = FrameWatch.await(frames.claimed(id)).receivedNanos();
      long started = signals.await(id).nanos();
      FrameWatch.await(frames.result(id));
      if (i >= 0) {
        claim[i] = claimed - sent;
        start[i] = started - claimed;
      }
    }
    return new long[][] {claim, start};
  }
}
