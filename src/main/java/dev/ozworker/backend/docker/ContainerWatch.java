package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.WaitResponse;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Follows a task's container with the engine's streaming callbacks: its output into the run's log
 * as it is written, and its end, read back with an inspect for the exit code and the OOM flag. No
 * thread of the worker waits on a container; the backend's executor only runs the short step after
 * the end.
 */
final class ContainerWatch {
  /** How long the output stream may trail the container's end before the run ends without it. */
  static final long LOG_DRAIN_SECONDS = 10;

  /** Waits re-subscribed after a broken wait stream while the container still runs. */
  static final int MAX_WAIT_RETRIES = 10;

  private static final Logger LOG = LoggerFactory.getLogger(ContainerWatch.class);

  private final DockerClient docker;
  private final Executor executor;

  ContainerWatch(DockerClient docker, Executor executor) {
    this.docker = docker;
    this.executor = executor;
  }

  /** Streams the container's output into the run's log and ends the run when the container ends. */
  void watch(DockerRun run, String containerId) {
    CompletableFuture<Void> logsDone = new CompletableFuture<>();
    run.stream(
        docker
            .logContainerCmd(containerId)
            .withStdOut(true)
            .withStdErr(true)
            .withFollowStream(true)
            .exec(
                new ResultCallback.Adapter<Frame>() {
                  @Override
                  public void onNext(Frame frame) {
                    byte[] payload = frame.getPayload();
                    if (payload != null) {
                      run.log().write(payload, 0, payload.length);
                    }
                  }

                  @Override
                  public void onComplete() {
                    super.onComplete();
                    logsDone.complete(null);
                  }

                  @Override
                  public void onError(Throwable error) {
                    super.onError(error);
                    logsDone.complete(null);
                  }
                }));
    awaitEnd(run, containerId, logsDone, 0);
  }

  private void awaitEnd(
      DockerRun run, String containerId, CompletableFuture<Void> logsDone, int retries) {
    CompletableFuture<Long> end = new CompletableFuture<>();
    run.stream(
        docker
            .waitContainerCmd(containerId)
            .exec(
                new WaitContainerResultCallback() {
                  @Override
                  public void onNext(WaitResponse response) {
                    super.onNext(response);
                    if (response.getStatusCode() != null) {
                      end.complete(response.getStatusCode().longValue());
                    }
                  }

                  @Override
                  public void onComplete() {
                    super.onComplete();
                    end.completeExceptionally(new IllegalStateException("no exit status"));
                  }

                  @Override
                  public void onError(Throwable error) {
                    super.onError(error);
                    end.completeExceptionally(error);
                  }
                }));
    end.whenComplete(
        (status, error) -> {
          if (run.isOver()) {
            return;
          }
          if (error == null) {
            logsDone
                .completeOnTimeout(null, LOG_DRAIN_SECONDS, TimeUnit.SECONDS)
                .thenRunAsync(() -> conclude(run, containerId, status), executor);
          } else {
            executor.execute(() -> waitBroke(run, containerId, logsDone, retries, error));
          }
        });
  }

  /** The container ended: its state says how. */
  private void conclude(DockerRun run, String containerId, long waitStatus) {
    ContainerExit exit = new ContainerExit(waitStatus, false);
    try {
      InspectContainerResponse.ContainerState state =
          docker.inspectContainerCmd(containerId).exec().getState();
      Long exitCode = state.getExitCodeLong();
      exit =
          new ContainerExit(
              exitCode == null ? waitStatus : exitCode, Boolean.TRUE.equals(state.getOOMKilled()));
    } catch (RuntimeException e) {
      // removed by someone else already: the wait's status is all there is
      log(run, "cannot inspect the ended container {}: {}", containerId, e.getMessage());
    }
    run.exited(exit);
  }

  /** The wait stream broke (the engine restarting, say): look at the container and decide. */
  private void waitBroke(
      DockerRun run,
      String containerId,
      CompletableFuture<Void> logsDone,
      int retries,
      Throwable error) {
    InspectContainerResponse.ContainerState state;
    try {
      state = docker.inspectContainerCmd(containerId).exec().getState();
    } catch (NotFoundException gone) {
      run.failed(
          new TaskFailure(
              FailureReason.CONTAINER_WAIT,
              "container " + containerId + " disappeared while the task ran"));
      return;
    } catch (RuntimeException e) {
      state = null;
    }
    if (state != null && !Boolean.TRUE.equals(state.getRunning())) {
      Long exitCode = state.getExitCodeLong();
      run.exited(
          new ContainerExit(
              exitCode == null ? -1 : exitCode, Boolean.TRUE.equals(state.getOOMKilled())));
    } else if (retries < MAX_WAIT_RETRIES) {
      log(run, "waiting on container {} again: {}", containerId, error.getMessage());
      CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS, executor)
          .execute(() -> awaitEnd(run, containerId, logsDone, retries + 1));
    } else {
      run.failed(
          new TaskFailure(
              FailureReason.CONTAINER_WAIT,
              null,
              "cannot wait for container " + containerId + ": " + error.getMessage(),
              error));
    }
  }

  private static void log(DockerRun run, String format, Object... args) {
    try (var ignored = MDC.putCloseable("task", run.spec().runId())) {
      LOG.warn(format, args);
    }
  }
}
