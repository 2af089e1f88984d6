package dev.ozworker.runtime;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import dev.ozworker.controller.MockApi;
import dev.ozworker.controller.ScriptedBackend;
import dev.ozworker.oz.LinkTimings;
import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A worker dials Oz before it is assembled, so it is connected sooner; what Oz sends meanwhile is
 * held, and taken in order once the controller runs. Nothing is claimed before it is stored, and a
 * worker that cannot be assembled leaves having claimed nothing.
 */
class DialledLinkTest {
  static final String API_KEY = "wk-dial-key-5c1e";
  static final Duration WAIT = OzLinkEndToEndTest.WAIT;
  static final LinkTimings FAST = OzLinkEndToEndTest.FAST;

  FakeOzServer oz;
  MockApi api;
  ScriptedBackend backend;

  @BeforeEach
  void start() throws InterruptedException {
    oz = FakeOzServer.start(API_KEY);
    api = MockApi.start();
    backend = new ScriptedBackend();
  }

  @AfterEach
  void stop() throws Exception {
    backend.close();
    api.close();
    oz.close();
  }

  @Test
  void whatOzSendsBeforeTheWorkerIsAssembledIsTakenInOrderOnceItIs() throws Exception {
    Map<String, Boolean> storedAtClaim = new ConcurrentHashMap<>();
    oz.onFrame(
        frame -> {
          if (frame.type().equals("task_claimed")) {
            storedAtClaim.put(frame.taskId(), agentTask(frame.taskId()) != null);
          }
        });
    backend.ends("early-1", new TaskOutcome.Succeeded("done\n"));
    DialledLink dialled = DialledLink.dial(config("worker_id: w1"), Clock.systemUTC(), FAST);
    await().atMost(WAIT).until(() -> oz.isConnected("w1"));
    oz.assign("w1", assignment("early-1"));
    oz.assign("w1", assignment("early-2"));
    // Its cancellation right behind: taken before the assignment, it would find no task and the
    // run would go on.
    oz.cancel("w1", "early-2");
    // connected, two assignments and a cancellation
    await().atMost(WAIT).until(() -> dialled.held().size() == 4);
    assertThat(oz.receivedFrom("w1")).isEmpty();

    try (WorkerRuntime worker =
        WorkerRuntime.start(dialled, api.client(), List.of(backend), false, false)) {
      await().atMost(WAIT).until(() -> oz.framesAbout("early-1", "task_completed").size() == 1);
      await().atMost(WAIT).until(() -> oz.framesAbout("early-2", "task_completed").size() == 1);
      Frame cancelled = oz.framesAbout("early-2", "task_completed").getFirst();
      assertThat(cancelled.data().path("task_state").asText()).isEqualTo("CANCELLED");
      assertThat(storedAtClaim)
          .containsOnly(Map.entry("early-1", true), Map.entry("early-2", true));
      assertThat(dialled.held().size()).isZero();
    }
  }

  @Test
  void aWorkerThatCannotBeAssembledClosesItsLinkHavingClaimedNothing() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      WorkerConfig config =
          config(
              "worker_id: w2",
              "--http-address",
              "127.0.0.1",
              "--http-port",
              String.valueOf(taken.getLocalPort()));
      DialledLink dialled = DialledLink.dial(config, Clock.systemUTC(), FAST);
      await().atMost(WAIT).until(() -> oz.isConnected("w2"));
      oz.assign("w2", assignment("never-claimed"));
      await().atMost(WAIT).until(() -> dialled.held().size() == 2);

      assertThatThrownBy(
              () -> WorkerRuntime.start(dialled, api.client(), List.of(backend), false, true))
          .hasMessageContaining(String.valueOf(taken.getLocalPort()));

      await().atMost(WAIT).until(() -> !oz.isConnected("w2"));
      assertThat(oz.closeCodes("w2")).containsExactly(1000);
      assertThat(oz.receivedFrom("w2")).isEmpty();
      assertThat(api.client().resources(AgentTask.class).inAnyNamespace().list().getItems())
          .isEmpty();
      assertThat(backend.calls()).isEmpty();
    }
  }

  AgentTask agentTask(String name) {
    return api.client().resources(AgentTask.class).inAnyNamespace().list().getItems().stream()
        .filter(task -> task.getMetadata().getName().equals(name))
        .findFirst()
        .orElse(null);
  }

  WorkerConfig config(String yaml, String... flags) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of("--backend", "direct", "--web-socket-url", oz.webSocketUrl().toString()));
    args.addAll(List.of(flags));
    return WorkerConfigs.resolve(
        yaml, Map.of("WARP_API_KEY", API_KEY), args.toArray(String[]::new));
  }
}
