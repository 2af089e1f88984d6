package dev.ozworker.e2e;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ozworker.oz.fake.FakeOzServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pool tests' stand-in for Oz, against a worker played by hand over a real WebSocket: what it
 * offers, and what it offers again.
 */
class ClusterDispatchTest {
  private static final String KEY = "dispatch-test-key";
  private static final ObjectMapper JSON = new ObjectMapper();

  private FakeOzServer oz;
  private ClusterDispatch dispatch;
  private HandWorker worker;

  @BeforeEach
  void start() throws Exception {
    oz = FakeOzServer.start(KEY);
    dispatch = new ClusterDispatch(oz, 2);
    worker = HandWorker.connect(oz, "worker-a");
    await().atMost(Duration.ofSeconds(10)).until(() -> oz.isConnected("worker-a"));
  }

  @AfterEach
  void stop() throws Exception {
    dispatch.close();
    worker.close();
    oz.close();
  }

  @Test
  void anAssignmentRejectedAfterTheLastResultIsOfferedAgain() {
    // The worker's slots are full of tasks Oz never sees (applied by hand): it rejects both
    // offers, and no result will come to free a slot in Oz's eyes.
    offerToTheWorker("t-1", "t-2");
    worker.reply("task_rejected", "t-1");
    worker.reply("task_rejected", "t-2");

    await().atMost(Duration.ofSeconds(10)).until(() -> worker.offered().size() == 4);
    assertThat(worker.offered()).containsExactly("t-1", "t-2", "t-1", "t-2");
    assertThat(dispatch.rejections()).isEqualTo(2);
  }

  @Test
  void aResultFreesTheSlotForTheNextQueuedTaskAndNothingIsOfferedTwice() {
    offerToTheWorker("t-1", "t-2", "t-3");
    worker.reply("task_claimed", "t-1");
    worker.reply("task_claimed", "t-2");
    worker.reply("task_completed", "t-1");

    await().atMost(Duration.ofSeconds(10)).until(() -> worker.offered().size() == 3);
    worker.reply("task_claimed", "t-3");
    worker.reply("task_completed", "t-2");
    worker.reply("task_completed", "t-3");
    // Every reply is read by now: the server reads one connection's frames in order.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> oz.framesAbout("t-3", "task_completed").size() == 1);
    assertThat(worker.offered()).containsExactly("t-1", "t-2", "t-3");
    assertThat(dispatch.describe()).contains("queued []").contains("ended 3");
  }

  @Test
  void aWorkerWhoseOldConnectionClosesAfterItReconnectedIsOfferedWhatThatConnectionLeftUnclaimed() {
    offerToTheWorker("t-1", "t-2");

    try (HandWorker again = HandWorker.connect(oz, "worker-a")) {
      await().atMost(Duration.ofSeconds(10)).until(() -> oz.connections("worker-a") == 2);
      worker.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> !oz.closeCodes("worker-a").isEmpty());

      await().atMost(Duration.ofSeconds(10)).until(() -> again.offered().size() == 2);
      assertThat(again.offered()).containsExactlyInAnyOrder("t-1", "t-2");
    }
  }

  /** Queues {@code taskIds} and starts offering them: the worker is offered its capacity, two. */
  private void offerToTheWorker(String... taskIds) {
    for (String taskId : taskIds) {
      dispatch.queue(taskId, assignment(taskId));
    }
    dispatch.start(List.of("worker-a"));
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.offered().size() == 2);
  }

  /** A worker connection driven by the test: it records the task ids offered and sends replies. */
  private record HandWorker(WebSocket socket, List<String> offered) implements AutoCloseable {
    static HandWorker connect(FakeOzServer oz, String workerId) {
      List<String> offered = new CopyOnWriteArrayList<>();
      WebSocket.Listener listener =
          new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket socket, CharSequence part, boolean last) {
              text.append(part);
              if (last) {
                try {
                  JsonNode frame = JSON.readTree(text.toString());
                  if (frame.path("type").asText().equals("task_assignment")) {
                    offered.add(frame.path("data").path("task_id").asText());
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
                text.setLength(0);
              }
              socket.request(1);
              return CompletableFuture.completedFuture(null);
            }
          };
      WebSocket socket =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .header("Authorization", "Bearer " + KEY)
              .buildAsync(URI.create(oz.webSocketUrl() + "?worker_id=" + workerId), listener)
              .join();
      return new HandWorker(socket, offered);
    }

    void reply(String type, String taskId) {
      ObjectNode frame = JSON.createObjectNode().put("type", type);
      frame.putObject("data").put("task_id", taskId);
      socket.sendText(frame.toString(), true).join();
    }

    @Override
    public void close() {
      if (!socket.isOutputClosed()) {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
      }
    }
  }
}
