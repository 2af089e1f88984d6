package dev.ozworker.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ozworker.api.AgentTaskSpec;
import dev.ozworker.api.FailureReason;
import dev.ozworker.api.SidecarMount;
import dev.ozworker.cli.WorkerConfigs;
import dev.ozworker.config.WorkerConfig;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A task whose sidecars cannot be prepared fails as the reference worker fails it. */
class SidecarProblemsTest {
  static final String TASK_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

  static Stream<Arguments> faults() {
    return Stream.of(
        Arguments.of(
            "an additional sidecar without an image",
            (Consumer<AgentTaskSpec>)
                spec -> spec.setAdditionalSidecars(List.of(new SidecarMount("", "/mnt/t", false))),
            FailureReason.SIDECAR_PREP,
            "spec.additionalSidecars[0].image is empty"),
        Arguments.of(
            "an additional sidecar with a relative mount path",
            (Consumer<AgentTaskSpec>)
                spec ->
                    spec.setAdditionalSidecars(List.of(new SidecarMount("tools:1", "mnt", false))),
            FailureReason.SIDECAR_PREP,
            "spec.additionalSidecars[0].mountPath"),
        Arguments.of(
            "two additional sidecars at one path",
            (Consumer<AgentTaskSpec>)
                spec ->
                    spec.setAdditionalSidecars(
                        List.of(
                            new SidecarMount("tools:1", "/mnt/t", false),
                            new SidecarMount("tools:2", "/mnt/t", true))),
            FailureReason.SIDECAR_PREP,
            "two sidecars mount at /mnt/t"),
        Arguments.of(
            "an additional sidecar at the agent's path",
            (Consumer<AgentTaskSpec>)
                spec -> {
                  spec.setSidecarImage("agent:1");
                  spec.setAdditionalSidecars(List.of(new SidecarMount("tools:1", "/agent", false)));
                },
            FailureReason.SIDECAR_PREP,
            "two sidecars mount at /agent"),
        Arguments.of(
            "a fault that is not a sidecar's",
            (Consumer<AgentTaskSpec>) spec -> spec.setTimeout("soon"),
            FailureReason.UNKNOWN,
            "spec.timeout"));
  }

  @ParameterizedTest(name = "{0} is {2}")
  @MethodSource("faults")
  void aTaskWhoseSidecarsCannotBePreparedIsRefusedAsSidecarPrep(
      String fault, Consumer<AgentTaskSpec> change, FailureReason reason, String named)
      throws Exception {
    WorkerConfig config = WorkerConfigs.resolve("", Map.of("WARP_API_KEY", "k"), "--worker-id=w1");
    AgentTaskSpec spec = new AgentTaskSpec();
    spec.setTaskId(TASK_ID);
    change.accept(spec);

    InvalidTaskException refused =
        catchThrowableOfType(
            InvalidTaskException.class,
            () -> new TaskResolver(config).resolve("t", spec, Map.of()));

    assertThat(refused).isNotNull();
    assertThat(refused.reason()).isEqualTo(reason);
    assertThat(refused.getMessage()).contains(named);
  }
}
