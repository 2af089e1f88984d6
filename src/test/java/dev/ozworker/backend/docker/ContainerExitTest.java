package dev.ozworker.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.PullResponseItem;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.TaskOutcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ContainerExitTest {

  @ParameterizedTest
  @CsvSource({
    "0,   false, false, Succeeded, ,               ",
    "0,   true,  false, Succeeded, ,               ",
    "3,   false, false, Failed,    container_exit, 'container exited with non-zero status: 3'",
    "137, false, false, Failed,    container_exit, 'container exited with non-zero status: 137'",
    "137, true,  false, Failed,    container_oom,  'container exited with non-zero status: 137"
        + " (killed for exceeding its memory limit)'",
    "137, false, true,  Cancelled, ,               ",
    "0,   false, true,  Cancelled, ,               "
  })
  void classifiesHowAContainerEnded(
      long exitCode,
      boolean oomKilled,
      boolean cancelled,
      String outcome,
      String reason,
      String message) {
    TaskOutcome result = new ContainerExit(exitCode, oomKilled).outcome(cancelled, "tail");

    assertThat(result.getClass().getSimpleName()).isEqualTo(outcome);
    assertThat(result.logTail()).isEqualTo("tail");
    if (result instanceof TaskOutcome.Failed failed) {
      assertThat(failed.failure().reason().wireName()).isEqualTo(reason);
      assertThat(failed.failure().exitCode()).contains((int) exitCode);
      assertThat(failed.failure().getMessage()).isEqualTo(message);
    }
  }

  @Test
  void findsErrorsInsideThePullProgressStream() throws Exception {
    ObjectMapper json = new ObjectMapper();
    PullResponseItem progress =
        json.readValue("{\"status\":\"Downloading\",\"id\":\"abc\"}", PullResponseItem.class);
    PullResponseItem detailed =
        json.readValue(
            "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}",
            PullResponseItem.class);
    PullResponseItem bare =
        json.readValue("{\"error\":\"toomanyrequests\"}", PullResponseItem.class);

    ImagePuller.Progress stream = new ImagePuller.Progress();
    stream.onNext(progress);
    assertThat(stream.error()).isEmpty();
    stream.onNext(detailed);
    stream.onNext(bare);

    assertThat(stream.error()).contains("manifest unknown");
    assertThat(ImagePuller.Progress.errorOf(bare)).isEqualTo("toomanyrequests");
    assertThat(FailureReason.IMAGE_PULL.wireName()).isEqualTo("image_pull");
  }

  @Test
  void acceptsOnlyTheSidecarsPlatforms() {
    assertThat(DockerEngine.platformProblem("linux/amd64")).isEmpty();
    assertThat(DockerEngine.platformProblem("linux/arm64")).isEmpty();
    assertThat(DockerEngine.platformProblem("windows/amd64"))
        .hasValueSatisfying(
            problem -> assertThat(problem).contains("windows/amd64", "linux/amd64"));
    assertThat(DockerEngine.platformProblem("linux/s390x")).isPresent();
  }
}
