package dev.ozworker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.intake.AssignmentMapping;
import dev.ozworker.intake.TaskResources;
import dev.ozworker.oz.Decoded;
import dev.ozworker.oz.OzCodec;
import dev.ozworker.oz.OzFrames;
import dev.ozworker.oz.TaskAssignment;
import dev.ozworker.task.TaskResolver;
import dev.ozworker.task.TaskSpec;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the pure part of intake costs per assignment: reading the frame, mapping it to an AgentTask
 * and its Secret, and resolving the task. The reference assignment is rich (most snapshot fields,
 * env_vars, sidecars, an MCP server), so these are upper figures for real traffic.
 */
class ResolutionBench {
  static final int WARM_UP = BenchSize.of(20_000, 100);
  static final int SAMPLES = BenchSize.of(50_000, 100);
  static final String FRAME = OzFrames.REFERENCE_ASSIGNMENT;

  final OzCodec codec = new OzCodec();
  final AssignmentMapping mapping = new AssignmentMapping("bench-worker", BackendKind.DOCKER);
  final TaskResolver resolver;

  ResolutionBench() throws Exception {
    WorkerConfig config =
        WorkerConfigs.resolve("", Map.of("WARP_API_KEY", "k"), "--worker-id=bench-worker");
    resolver = new TaskResolver(config);
  }

  @Test
  void decodeMapAndResolveAnAssignment() throws Exception {
    long[] decode = new long[SAMPLES];
    long[] map = new long[SAMPLES];
    long[] resolve = new long[SAMPLES];
    for (int i = 0; i < WARM_UP; i++) {
      once(null, null, null, i);
    }
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().threadId();
    long allocatedBefore = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < SAMPLES; i++) {
      once(decode, map, resolve, i);
    }
    long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;

    long[] total = new long[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
      total[i] = decode[i] + map[i] + resolve[i];
    }
    new BenchReport("resolution")
        .figure(
            Figure.of(
                "resolve_assignment",
                "µs",
                Stats.of(java.util.Arrays.stream(total).mapToDouble(n -> n / 1e3).toArray())))
        .latency("decode", decode)
        .latency("map", map)
        .latency("resolve", resolve)
        .latency("total", total)
        .fact("allocated_bytes_per_assignment", allocated / (double) SAMPLES)
        .fact("frame_bytes", FRAME.length())
        .write();
  }

  private void once(long[] decode, long[] map, long[] resolve, int i) throws Exception {
    long t0 = System.nanoTime();
    Decoded decoded = codec.decode(FRAME);
    long t1 = System.nanoTime();
    TaskResources resources =
        mapping.toResources((TaskAssignment) ((Decoded.Message) decoded).message());
    long t2 = System.nanoTime();
    TaskSpec spec =
        resolver.resolve(
            resources.agentTask().getMetadata().getName(),
            resources.agentTask().getSpec(),
            Map.of("WARP_API_KEY", "wk_secret"));
    long t3 = System.nanoTime();
    assertThat(spec.ozArgs()).contains("--mcp");
    if (decode != null) {
      decode[i] = t1 - t0;
      map[i] = t2 - t1;
      resolve[i] = t3 - t2;
    }
  }
}
