package dev.ozworker.bench;

import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Futures of the frames workers send the fake Oz server, completed on its thread as each arrives: a
 * benchmark waits on the frame itself instead of polling, and takes the arrival time from it.
 */
public final class FrameWatch {
  private final Map<String, CompletableFuture<Frame>> frames = new ConcurrentHashMap<>();

  private FrameWatch() {}

  /** Watches every frame {@code oz} receives from now on (replacing its previous frame hook). */
  public static FrameWatch on(FakeOzServer oz) {
    FrameWatch watch = new FrameWatch();
    oz.onFrame(watch::accept);
    return watch;
  }

  /** The {@code task_claimed} frame of {@code taskId}. */
  public CompletableFuture<Frame> claimed(String taskId) {
    return frame(taskId, "task_claimed");
  }

  /** The first {@code task_completed} or {@code task_failed} frame of {@code taskId}. */
  public CompletableFuture<Frame> result(String taskId) {
    return frame(taskId, "result");
  }

  /** Waits up to a minute for {@code future}. */
  public static Frame await(CompletableFuture<Frame> future) throws Exception {
    return future.get(60, TimeUnit.SECONDS);
  }

  private CompletableFuture<Frame> frame(String taskId, String type) {
    return frames.computeIfAbsent(taskId + "/" + type, key -> new CompletableFuture<>());
  }

  private void accept(Frame frame) {
    frame(frame.taskId(), frame.type()).complete(frame);
    if (frame.type().equals("task_completed") || frame.type().equals("task_failed")) {
      frame(frame.taskId(), "result").complete(frame);
    }
  }
}
