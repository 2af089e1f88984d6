package dev.ozworker.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskFailure;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each failure reason from a Pod shaped as a v1.20 kubelet reports it (status reasons and messages
 * as the kubelet, the scheduler and the runtime write them).
 */
class PodFailuresTest {
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** The task Pod: a sidecar copier, a native sidecar from the template, the task. */
  static final String POD =
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: oz-task-run-1, namespace: tasks}
      spec:
        restartPolicy: Never
        initContainers:
        - {name: copy-sidecar-0, image: warpdotdev/agent:1.2}
        - {name: proxy, image: example.com/proxy:1, restartPolicy: Always}
        containers:
        - {name: task, image: ubuntu:22.04}
      """;

  static Pod pod(String status) {
    return Serialization.unmarshal(POD + status, Pod.class);
  }

  static Optional<TaskFailure> classify(Pod pod) {
    return PodFailures.classify(pod, List.of(), Duration.ZERO, TIMEOUT);
  }

  static TaskFailure failure(Pod pod) {
    return classify(pod).orElseThrow(() -> new AssertionError("no failure found"));
  }

  @Test
  void anEvictedPodIsEvicted() {
    Pod pod =
        pod(
            """
            status:
              phase: Failed
              reason: Evicted
              message: 'The node was low on resource: memory. Container task was using 3971Mi, which exceeds its request of 0. '
              containerStatuses:
              - name: task
                state: {terminated: {exitCode: 137, reason: Error}}
            """);

    TaskFailure failure = failure(pod);

    assertThat(failure.reason()).isEqualTo(FailureReason.EVICTED);
    assertThat(failure.exitCode()).contains(137);
    assertThat(failure.getMessage())
        .isEqualTo(
            "pod oz-task-run-1 (namespace tasks) was evicted. Pod phase: Failed. Pod reason:"
                + " Evicted. Pod message: The node was low on resource: memory. Container task was"
                + " using 3971Mi, which exceeds its request of 0.");
  }

  @Test
  void aPodWhoseMessageSpeaksOfEvictionIsEvicted() {
    Pod pod =
        pod(
            """
            status:
              phase: Failed
              reason: Terminated
              message: Pod was evicted due to node pressure
            """);

    assertThat(failure(pod).reason()).isEqualTo(FailureReason.EVICTED);
  }

  @Test
  void aPodPastItsDeadlineIsActiveDeadlineNotItsKilledContainer() {
    Pod pod =
        pod(
            """
            status:
              phase: Failed
              reason: DeadlineExceeded
              message: Pod was active on the node longer than the specified deadline
              containerStatuses:
              - name: task
                state: {terminated: {exitCode: 143, reason: Error, message: "teardown-exit=0\\n"}}
            """);

    TaskFailure failure = failure(pod);

    assertThat(failure.reason()).isEqualTo(FailureReason.ACTIVE_DEADLINE);
    assertThat(failure.exitCode()).contains(143);
    assertThat(failure.getMessage())
        .startsWith("pod oz-task-run-1 (namespace tasks) ran longer than its activeDeadlineSeconds")
        .contains("Pod reason: DeadlineExceeded");
    assertThat(PodFailures.teardownExit(pod)).contains(0);
    assertThat(PodFailures.teardownFailure(pod)).isEmpty();
  }

  @Test
  void anInitContainerThatExitedNonZeroIsInitContainerWithItsCode() {
    Pod pod =
        pod(
            """
            status:
              phase: Failed
              initContainerStatuses:
              - name: copy-sidecar-0
                state: {terminated: {exitCode: 2, reason: Error}}
              - name: proxy
                state: {waiting: {reason: PodInitializing}}
              containerStatuses:
              - name: task
                state: {waiting: {reason: PodInitializing}}
            """);

    TaskFailure failure = failure(pod);

    assertThat(failure.reason()).isEqualTo(FailureReason.INIT_CONTAINER);
    assertThat(failure.exitCode()).contains(2);
    assertThat(failure.getMessage())
        .isEqualTo(
            "init container copy-sidecar-0 in pod oz-task-run-1 (namespace tasks) exited with"
                + " code 2. Pod phase: Failed. Pod reason: Error");
  }

  @Test
  void aNativeSidecarStoppedWithSigtermIsNoFailure() {
    Pod pod =
        pod(
            """
            status:
              phase: Running
              initContainerStatuses:
              - name: copy-sidecar-0
                state: {terminated: {exitCode: 0, reason: Completed}}
              - name: proxy
                state: {terminated: {exitCode: 143, reason: Error}}
              containerStatuses:
              - name: task
                state: {running: {startedAt: "2024-05-01T10:00:00Z"}}
            """);

    assertThat(classify(pod)).isEmpty();
  }

  static Stream<Arguments> pullFailures() {
    return Stream.of(
        Arguments.of(
            "ErrImagePull",
            "rpc error: code = Unknown desc = Error response from daemon: pull access denied for"
                + " nope/nope, repository does not exist or may require 'docker login'"),
        Arguments.of("ImagePullBackOff", "Back-off pulling image \"nope/nope\""),
        Arguments.of(
            "ErrImageNeverPull",
            "Container image \"ubuntu:22.04\" is not present with pull policy of Never"));
  }

  @ParameterizedTest
  @MethodSource("pullFailures")
  void aTaskImageThatCannotBePulledIsImagePull(String reason, String message) {
    Pod pod =
        pod(
            """
            status:
              phase: Pending
              containerStatuses:
              - name: task
                state: {waiting: {reason: %s, message: '%s'}}
            """
                .formatted(reason, message.replace("'", "''")));

    TaskFailure failure = failure(pod);

    assertThat(failure.reason()).isEqualTo(FailureReason.IMAGE_PULL);
    assertThat(failure.exitCode()).isEmpty();
    assertThat(failure.getMessage())
        .startsWith(
            "container task in pod oz-task-run-1 (namespace tasks) is waiting: "
                + reason
                + ": "
                + message)
        .contains("Pod phase: Pending");
  }

  @Test
  void aSidecarImageThatCannotBePulledIsImagePullToo() {
    Pod pod =
        pod(
            """
            status:
              phase: Pending
              initContainerStatuses:
              - name: copy-sidecar-0
                state: {waiting: {reason: ImagePullBackOff, message: 'Back-off pulling image "warpdotdev/agent:1.2"'}}
            """);

    TaskFailure failure = failure(pod);

    assertThat(failure.reason()).isEqualTo(FailureReason.IMAGE_PULL);
    assertThat(failure.getMessage()).startsWith("init container copy-sidecar-0 in pod");
  }

  @Test
  void anImageNameThatCannotBeParsedIsInvalidImage() {
    Pod pod =
        pod(
            """
            status:
              phase: Pending
              containerStatuses:
              - name: task
                state:
                  waiting:
                    reason: InvalidImageName
                    message: 'Failed to apply default image tag "Ubuntu:22.04": couldn''t parse image reference "Ubuntu:22.04": invalid reference format: repository name must be lowercase'
            """);

    assertThat(failure(pod).reason()).isEqualTo(FailureReason.INVALID_IMAGE);
  }

  @Test
  void aTaskContainerThatCannotBeCreatedIsContainerCreate() {
    Pod pod =
        pod(
            """
            status:
              phase: Pending
              containerStatuses:
              - name: task
                state: {waiting: {reason: CreateContainerConfigError, message: 'secret "run-1-env" not found'}}
            """);

    TaskFailure failure = failure(pod);

    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_CREATE);
    assertThat(failure.getMessage())
        .contains("is waiting: CreateContainerConfigError: secret \"run-1-env\" not found");
  }

  @Test
  void anInitContainerThatCannotBeCreatedIsInitContainer() {
    Pod pod =
        pod(
            """
            status:
              phase: Pending
              initContainerStatuses:
              - name: copy-sidecar-0
                state: {waiting: {reason: CreateContainerError, message: 'failed to reserve container name'}}
            """);

    assertThat(failure(pod).reason()).isEqualTo(FailureReason.INIT_CONTAINER);
  }

  @Test
  void aTaskThatExitedNonZeroIsContainerExitWithItsCode() {
    Pod pod =
        pod(
            """
            status:
              phase: Failed
              containerStatuses:
              - name: task
                state: {terminated: {exitCode: 3, reason: Error, message: "teardown-exit=0\\n"}}
            """);

    TaskFailure failure = failure(pod);

    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_EXIT);
    assertThat(failure.exitCode()).contains(3);
    assertThat(failure.getMessage())
        .isEqualTo(
            "container task in pod oz-task-run-1 (namespace tasks) exited with code 3. Pod phase:"
                + " Failed. Pod reason: Error");
    assertThat(TaskPodState.taskExitCode(pod)).contains(3);
    assertThat(TaskPodState.succeeded(pod)).isFalse();
  }

  @Test
  void aTaskKilledBySignalExitsWith128PlusTheSignalAndSaysWhichAndWhy() {
    Pod pod =
        pod(
            """
            status:
              phase: Failed
              containerStatuses:
              - name: task
                state: {terminated: {exitCode: 0, signal: 15, reason: Error}}
            """);

    TaskFailure failure = failure(pod);

    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_EXIT);
    assertThat(failure.exitCode()).contains(143);
    assertThat(failure.getMessage())
        .contains("exited with code 143 (SIGTERM)")
        .contains("SIGTERM usually means Kubernetes asked the container to stop");
    // exit code 0 with a signal is a kill: neither the backend's end nor its clean-up reads it
    // as a success
    assertThat(TaskPodState.succeeded(pod)).isFalse();
  }

  @Test
  void aTaskKilledForItsMemoryIsContainerOom() {
    Pod pod =
        pod(
            """
            status:
              phase: Failed
              containerStatuses:
              - name: task
                state: {terminated: {exitCode: 137, reason: OOMKilled}}
            """);

    TaskFailure failure = failure(pod);

    assertThat(failure.reason()).isEqualTo(FailureReason.CONTAINER_OOM);
    assertThat(failure.exitCode()).contains(137);
    assertThat(failure.getMessage())
        .isEqualTo(
            "container task in pod oz-task-run-1 (namespace tasks) exited with code 137 (SIGKILL)."
                + " Pod phase: Failed. Pod reason: OOMKilled");
  }

  static final String UNSCHEDULABLE =
      """
      status:
        phase: Pending
        conditions:
        - type: PodScheduled
          status: "False"
          reason: Unschedulable
          message: '0/3 nodes are available: 3 Insufficient cpu.'
      """;

  @Test
  void aPodUnschedulableForTheTimeoutIsUnschedulable() {
    Pod pod = pod(UNSCHEDULABLE);

    Optional<TaskFailure> early =
        PodFailures.classify(pod, List.of(), Duration.ofSeconds(29), TIMEOUT);
    TaskFailure failure =
        PodFailures.classify(pod, List.of(), Duration.ofSeconds(30), TIMEOUT).orElseThrow();

    assertThat(early).isEmpty();
    assertThat(failure.reason()).isEqualTo(FailureReason.UNSCHEDULABLE);
    assertThat(failure.getMessage())
        .isEqualTo(
            "pod oz-task-run-1 (namespace tasks) could not be scheduled for 30s. Pod reason:"
                + " Unschedulable. Pod message: 0/3 nodes are available: 3 Insufficient cpu.");
  }

  @Test
  void aZeroUnschedulableTimeoutNeverFails() {
    assertThat(
            PodFailures.classify(pod(UNSCHEDULABLE), List.of(), Duration.ofHours(1), Duration.ZERO))
        .isEmpty();
  }

  static Event event(String reason, String message, String lastTimestamp) {
    return Serialization.unmarshal(
        """
        apiVersion: v1
        kind: Event
        metadata: {name: oz-task-run-1.17a, namespace: tasks}
        involvedObject: {kind: Pod, name: oz-task-run-1, namespace: tasks}
        type: Warning
        reason: %s
        message: '%s'
        lastTimestamp: "%s"
        """
            .formatted(reason, message, lastTimestamp),
        Event.class);
  }

  static final String CREATING =
      """
      status:
        phase: Pending
        containerStatuses:
        - name: task
          state: {waiting: {reason: ContainerCreating}}
      """;

  @Test
  void aPendingPodWithAMountFailureIsVolumeMountNamingTheLatest() {
    List<Event> events =
        List.of(
            event(
                "Scheduled",
                "Successfully assigned tasks/oz-task-run-1 to node-1",
                "2024-05-01T10:00:00Z"),
            event(
                "FailedMount",
                "MountVolume.SetUp failed for volume \"cache\" : configmap \"cache\" not found",
                "2024-05-01T10:02:00Z"),
            event(
                "FailedMount",
                "Unable to attach or mount volumes: unmounted volumes=[cache]",
                "2024-05-01T10:01:00Z"));

    TaskFailure failure =
        PodFailures.classify(pod(CREATING), events, Duration.ZERO, TIMEOUT).orElseThrow();

    assertThat(failure.reason()).isEqualTo(FailureReason.VOLUME_MOUNT);
    assertThat(failure.getMessage())
        .isEqualTo(
            "pod oz-task-run-1 (namespace tasks) failed to mount a volume. Event reason:"
                + " FailedMount. Event message: MountVolume.SetUp failed for volume \"cache\" :"
                + " configmap \"cache\" not found");
  }

  @Test
  void aMountFailureOfARunningPodOrNoneAtAllIsNoFailure() {
    Event mount = event("FailedMount", "MountVolume.SetUp failed", "2024-05-01T10:02:00Z");
    Pod running =
        pod(
            """
            status:
              phase: Running
              containerStatuses:
              - name: task
                state: {running: {startedAt: "2024-05-01T10:00:00Z"}}
            """);

    assertThat(PodFailures.classify(running, List.of(mount), Duration.ZERO, TIMEOUT)).isEmpty();
    assertThat(classify(pod(CREATING))).isEmpty();
  }

  @Test
  void aFailedPodForAnyOtherReasonIsJobFailed() {
    Pod pod =
        pod(
            """
            status:
              phase: Failed
              reason: OutOfcpu
              message: 'Pod Node didn''t have enough resource: cpu, requested: 2000, used: 0, capacity: 1000'
            """);

    TaskFailure failure = failure(pod);

    assertThat(failure.reason()).isEqualTo(FailureReason.JOB_FAILED);
    assertThat(failure.exitCode()).isEmpty();
    assertThat(failure.getMessage())
        .isEqualTo(
            "pod oz-task-run-1 (namespace tasks) failed. Pod phase: Failed. Pod reason: OutOfcpu."
                + " Pod message: Pod Node didn't have enough resource: cpu, requested: 2000, used:"
                + " 0, capacity: 1000");
  }

  @Test
  void aTaskThatExitedZeroSucceededWhateverElseThePodSays() {
    Pod pod =
        pod(
            """
            status:
              phase: Succeeded
              initContainerStatuses:
              - name: proxy
                state: {terminated: {exitCode: 143, reason: Error}}
              containerStatuses:
              - name: task
                state: {terminated: {exitCode: 0, reason: Completed, message: "teardown-exit=7\\n"}}
            """);

    assertThat(classify(pod)).isEmpty();
    assertThat(TaskPodState.succeeded(pod)).isTrue();
    assertThat(TaskPodState.taskExitCode(pod)).contains(0);
    assertThat(PodFailures.teardownExit(pod)).contains(7);
    assertThat(PodFailures.teardownFailure(pod))
        .hasValueSatisfying(
            failure -> {
              assertThat(failure.reason()).isEqualTo(FailureReason.TEARDOWN_COMMAND);
              assertThat(failure.exitCode()).contains(7);
              assertThat(failure.getMessage()).contains("exited with code 7");
            });
  }

  @Test
  void aPodThatRunsOrHasNoStatusYetHasNoFailureAndNoExit() {
    Pod fresh = pod("");
    Pod running =
        pod(
            """
            status:
              phase: Running
              containerStatuses:
              - name: task
                state: {running: {startedAt: "2024-05-01T10:00:00Z"}}
            """);

    for (Pod pod : List.of(fresh, running)) {
      assertThat(classify(pod)).isEmpty();
      assertThat(TaskPodState.succeeded(pod)).isFalse();
      assertThat(TaskPodState.taskExitCode(pod)).isEmpty();
      assertThat(PodFailures.teardownExit(pod)).isEmpty();
    }
  }

  @Test
  void noTeardownExitWithoutTheLineTheWrapperWrites() {
    Pod pod =
        pod(
            """
            status:
              phase: Succeeded
              containerStatuses:
              - name: task
                state: {terminated: {exitCode: 0, reason: Completed, message: "something else"}}
            """);

    assertThat(PodFailures.teardownExit(pod)).isEmpty();
  }
}
