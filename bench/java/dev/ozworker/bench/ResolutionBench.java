package dev.ozworker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.BackendKind;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.intake.AssignmentMapping;
import dev.ozworker.intake.TaskResources;
import dev.ozworker.oz.Decoded;
import dev.ozworker.oz.OzCodec;
import dev.ozworker.oz.TaskAssignment;
import dev.ozworker.task.TaskResolver;
import dev.ozworker.task.TaskSpec;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the pure part of intake costs per assignment: reading the frame, mapping it to an AgentTask
 * and its Secret, and resolving the task. A rich assignment (every snapshot field, env_vars,
 * sidecars) is used, so these are upper figures for real traffic.
 */
class ResolutionBench {
  static final int WARM_UP = 20_000;
  static final int SAMPLES = 50_000;
  static final String FRAME =
      """
      {"type":"task_assignment","data":{"task_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7",\
      "execution_id":"exec-2","task":{"id":"7c9e6679-7425-40de-944b-e07fc1f90ae7",\
      "title":"Fix the flaky test","task_definition":{"prompt":"Make CI green"},\
      "created_at":"2026-11-20T09:15:00.123456789-07:00","updated_at":"2026-11-20T16:15:01Z",\
      "owner":{"Type":"TEAM","Id":42},"agent_config_snapshot":{"environment_id":"env-9",\
      "model_id":"gpt-5","mcp_servers":{"linear":{"url":"https://mcp.linear.app/sse"},\
      "gh":{"command":"npx","args":["-y","@acme/gh-mcp"]}},"idle_timeout_minutes":10,\
      "harness":{"type":"claude"},"inference_providers":{"aws":{"role_arn":"arn:aws:iam::1:role/r",\
      "region":"eu-west-1"}},"session_sharing":{"public_access":"VIEWER"},\
      "snapshot_disabled":true,"snapshot_upload_timeout_secs":30}},\
      "docker_image":"ghcr.io/acme/env:1","sidecar_image":"warpdotdev/agent:2",\
      "env_vars":{"GITHUB_ACCESS_TOKEN":"ghs_x","WARP_API_KEY":"wk_x","NPM_TOKEN":"npm_x"},\
      "additional_sidecars":[{"image":"ghcr.io/acme/tools:3","mount_path":"/mnt/tools"}],\
      "additional_oz_args":["--debug"],"instance_shape":{"vcpus":4,"memory_gb":8}}}\
      """;

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
            Map.of("WARP_API_KEY", "wk_x"));
    long t3 = System.nanoTime();
    assertThat(spec.ozArgs()).contains("--mcp");
    if (decode != null) {
      decode[i] = t1 - t0;
      map[i] = t2 - t1;
      resolve[i] = t3 - t2;
    }
  }
}
