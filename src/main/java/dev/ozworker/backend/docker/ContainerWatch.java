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
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Follows a task's container with the engine's streaming callbacks. One stream per container: its
 * output, followed into the run's log as it is written. The engine ends that stream when the
 * container stops, so its end is also the signal to read the exit code and the OOM flag with an
 * inspect. Only when following breaks while the container still runs (the engine restarting, a log
 * driver that cannot be followed) does the watch add a wait stream, and follow the output again
 * where the log stopped. No thread of the worker waits on a container.
 *
 * <p>The run ends only once its output is in the log: the following stream read to the end the
 * engine gave it, or, when it broke, the rest read once more after the container stopped. Each is
 * waited for at most {@link #DRAIN}; then the log says what could not be read.
 */
final class ContainerWatch {
  /** Waits re-subscribed after a broken wait stream while the container still runs. */
  static final int MAX_WAIT_RETRIES = 10;

  /** Longest wait for the rest of a stopped container's output. */
  static final Duration DRAIN = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(ContainerWatch.class);

  private final DockerClient docker;
  private final Executor executor;

  ContainerWatch(DockerClient docker, Executor executor) {
    this.docker = docker;
    this.executor = executor;
  }

  /** Streams the container's output into the run's log and ends the run when the container ends. */
  void watch(DockerRun run, String containerId) {
    follow(run, containerId)
        .whenComplete((ignored, error) -> executor.execute(() -> followEnded(run, containerId)));
  }

  /** Follows the output, writing what the log does not have yet; completes when it ends. */
  private CompletableFuture<Optional<String>> follow(DockerRun run, String containerId) {
    CompletableFuture<Optional<String>> ended = read(run, containerId, true);
    run.output().following(ended);
    return ended;
  }

  /**
   * Reads the output from its start, writing what the log does not have yet.
   *
   * @return completes when the stream ends: empty when the engine ended it, else what broke it
   */
  private CompletableFuture<Optional<String>> read(
      DockerRun run, String containerId, boolean follow) {
    CompletableFuture<Optional<String>> ended = new CompletableFuture<>();
    ContainerOutput.Reader reader = run.output().reader();
    run.stream(
        docker
            .logContainerCmd(containerId)
            .withStdOut(true)
            .withStdErr(true)
            .withFollowStream(follow)
            .exec(
                new ResultCallback.Adapter<Frame>() {
                  @Override
                  public void onNext(Frame frame) {
                    byte[] payload = frame.getPayload();
                    if (payload != null) {
                      reader.accept(payload);
                    }
                  }

                  @Override
                  public void onComplete() {
                    super.onComplete();
                    ended.complete(Optional.empty());
                  }

                  @Override
                  public void onError(Throwable error) {
                    super.onError(error);
                    ended.complete(Optional.of(String.valueOf(error.getMessage())));
                  }
                }));
    return ended;
  }

  /** The output stream ended: normally because the container stopped. */
  private void followEnded(DockerRun run, String containerId) {
    if (run.isOver() || endedRun(run, containerId)) {
      return;
    }
    log(run, "the output of container {} stopped while it runs; waiting on it", containerId);
    follow(run, containerId);
    awaitEnd(run, containerId, 0);
  }

  private void awaitEnd(DockerRun run, String containerId, int retries) {
    if (retries > 0 && run.output().broken()) {
      // it broke while the engine was away: follow on, the engine may answer again
      follow(run, containerId);
    }
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
            executor.execute(() -> conclude(run, containerId, status));
          } else {
            executor.execute(() -> waitBroke(run, containerId, retries, error));
          }
        });
  }

  /** The wait returned: the container's state says how it ended. */
  private void conclude(DockerRun run, String containerId, long waitStatus) {
    ContainerExit exit;
    try {
      exit = exitOf(docker.inspectContainerCmd(containerId).exec().getState(), waitStatus);
    } catch (RuntimeException e) {
      // removed by someone else already: the wait's status is all there is
      log(run, "cannot inspect the ended container {}: {}", containerId, e.getMessage());
      exit = new ContainerExit(waitStatus, false);
    }
    exited(run, containerId, exit);
  }

  /**
   * Ends the run once the stopped container's output is in the log: the following stream's end
   * waited for, or the rest read again when it broke.
   */
  private void exited(DockerRun run, String containerId, ContainerExit exit) {
    within(run.output().latest())
        .thenCompose(
            broke ->
                broke.isEmpty()
                    ? CompletableFuture.completedFuture(broke)
                    : within(read(run, containerId, false)))
        .thenAcceptAsync(
            broke -> {
              broke.ifPresent(
                  problem ->
                      run.log()
                          .line(
                              "[worker] the container's output could not be read to its end ("
                                  + problem
                                  + "); what was not read is not kept"));
              run.exited(exit);
            },
            executor);
  }

  private static CompletableFuture<Optional<String>> within(
      CompletableFuture<Optional<String>> stream) {
    return stream
        .thenApply(broke -> broke)
        .completeOnTimeout(
            Optional.of("not read within " + DRAIN.toSeconds() + " s"),
            DRAIN.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  /** The wait stream broke too: look at the container and decide, or wait again. */
  private void waitBroke(DockerRun run, String containerId, int retries, Throwable error) {
    if (endedRun(run, containerId)) {
      return;
    }
    if (retries < MAX_WAIT_RETRIES) {
      log(run, "waiting on container {} again: {}", containerId, error.getMessage());
      CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS, executor)
          .execute(() -> awaitEnd(run, containerId, retries + 1));
    } else {
      run.failed(
          new TaskFailure(
              FailureReason.CONTAINER_WAIT,
              null,
              "cannot wait for container " + containerId + ": " + error.getMessage(),
              error));
    }
  }

  /**
   * Ends the run if the container's state says it is over: exited (with its code and OOM flag) or
   * gone. False while it runs, or when the engine cannot say right now.
   */
  private boolean endedRun(DockerRun run, String containerId) {
    InspectContainerResponse.ContainerState state;
    try {
      state = docker.inspectContainerCmd(containerId).exec().getState();
    } catch (NotFoundException gone) {
      run.failed(
          new TaskFailure(
              FailureReason.CONTAINER_WAIT,
              "container " + containerId + " disappeared while the task ran"));
      return true;
    } catch (RuntimeException e) {
      return false;
    }
    if (Boolean.TRUE.equals(state.getRunning())) {
      return false;
    }
    exited(run, containerId, exitOf(state, -1));
    return true;
  }

  private static ContainerExit exitOf(
      InspectContainerResponse.ContainerState state, long fallback) {
    Long exitCode = state.getExitCodeLong();
    return new ContainerExit(
        exitCode == null ? fallback : exitCode, Boolean.TRUE.equals(state.getOOMKilled()));
  }

  private static void log(DockerRun run, String format, Object... args) {
    try (var ignored = MDC.putCloseable("task", run.spec().runId())) {
      LOG.warn(format, args);
    }
  }
}
