package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.observe.TestMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Status writes on the in-process API server, which refuses stale writes with 409 as a real one
 * does: a status is only ever written to the version it was decided from, by the task's owner, and
 * never moves a task out of a final phase.
 */
class StatusWriterTest {
  MockApi api;
  KubernetesClient client;
  final List<AgentTask> cached = new ArrayList<>();
  StatusWriter writer;

  @BeforeEach
  void startApiServer() {
    api = MockApi.start();
    client = api.client();
    writer =
        new StatusWriter(
            new TaskOwnership("w1"),
            "w1",
            Clock.systemUTC(),
            new TaskMetrics(TestMetrics.create(), "direct"));
  }

  @AfterEach
  void stopApiServer() {
    api.close();
  }

  @Test
  void aStatusDecidedFromAnOldCopyIsRefusedAndNeverAppliedToTheNewerOne() {
    AgentTask old = create("t1", "w1");
    AgentTask newer =
        writer.write(old, status(AgentTaskPhase.Succeeded, "done"), client, cached::add);

    assertThatThrownBy(
            () -> writer.write(old, status(AgentTaskPhase.Pending, "queued"), client, cached::add))
        .isInstanceOf(StaleTaskException.class);

    AgentTask stored = get("t1");
    assertThat(stored.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Succeeded);
    assertThat(stored.getStatus().getMessage()).isEqualTo("done");
    assertThat(stored.getMetadata().getResourceVersion())
        .isEqualTo(newer.getMetadata().getResourceVersion());
    assertThat(cached)
        .singleElement()
        .satisfies(t -> assertThat(t.getStatus().getMessage()).isEqualTo("done"));
  }

  @Test
  void aFinalPhaseIsNeverLeftEvenFromTheCurrentCopy() {
    AgentTask task = create("t2", "w1");
    AgentTask done =
        writer.write(task, status(AgentTaskPhase.Failed, "exit 3"), client, cached::add);

    assertThatThrownBy(
            () -> writer.write(done, status(AgentTaskPhase.Pending, "queued"), client, cached::add))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Failed")
        .hasMessageContaining("Pending");
    assertThatThrownBy(
            () -> writer.write(done, status(AgentTaskPhase.Succeeded, "ok"), client, cached::add))
        .isInstanceOf(IllegalStateException.class);

    assertThat(get("t2").getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(get("t2").getMetadata().getResourceVersion())
        .isEqualTo(done.getMetadata().getResourceVersion());
  }

  @Test
  void aFinalStatusMayStillGainConditionsWithoutChangingPhase() {
    AgentTask task = create("t3", "w1");
    AgentTask done =
        writer.write(task, status(AgentTaskPhase.Succeeded, "done"), client, cached::add);
    AgentTaskStatus tornDown = status(AgentTaskPhase.Succeeded, "done");
    tornDown.setReported(true);

    writer.write(done, tornDown, client, cached::add);

    assertThat(get("t3").getStatus().getReported()).isTrue();
  }

  @Test
  void aTaskOfAnotherWorkerOrOfNoneIsNeverWritten() {
    AgentTask others = create("t4", "w2");
    AgentTask unclaimed = create("t5", null);

    assertThatThrownBy(
            () ->
                writer.write(others, status(AgentTaskPhase.Pending, "queued"), client, cached::add))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not own");
    assertThatThrownBy(
            () ->
                writer.write(
                    unclaimed, status(AgentTaskPhase.Pending, "queued"), client, cached::add))
        .isInstanceOf(IllegalStateException.class);

    assertThat(get("t4").getStatus()).isNull();
    assertThat(get("t5").getStatus()).isNull();
    assertThat(api.statusWrites()).isEmpty();
  }

  AgentTask create(String name, String owner) {
    AgentTask task = AgentTaskControllerTest.userTask(name);
    if (owner != null) {
      task.getMetadata().setLabels(Map.of(AgentTaskKeys.WORKER_ID_LABEL, owner));
    }
    return client
        .resources(AgentTask.class)
        .inNamespace(client.getNamespace())
        .resource(task)
        .create();
  }

  AgentTask get(String name) {
    return client
        .resources(AgentTask.class)
        .inNamespace(client.getNamespace())
        .withName(name)
        .get();
  }

  static AgentTaskStatus status(AgentTaskPhase phase, String message) {
    AgentTaskStatus status = new AgentTaskStatus();
    status.setPhase(phase);
    status.setWorkerId("w1");
    status.setMessage(message);
    return status;
  }
}
