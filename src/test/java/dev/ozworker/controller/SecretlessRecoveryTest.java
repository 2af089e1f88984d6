package dev.ozworker.controller;

import static dev.ozworker.controller.AgentTaskControllerTest.assignedTo;
import static dev.ozworker.controller.AgentTaskControllerTest.userTask;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.api.AgentTaskStatus;
import dev.ozworker.api.BackendRef;
import dev.ozworker.api.EnvSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A run found after a restart (or an adoption) whose task's Secret is gone: its output would be
 * read with nothing to mask it with, so it is stopped and failed, saying why, and never reattached.
 */
class SecretlessRecoveryTest {
  ReconcilerRig rig;

  @BeforeEach
  void start() {
    rig = new ReconcilerRig("worker_id: w1");
  }

  @AfterEach
  void close() {
    rig.close();
  }

  @Test
  void aRunningTaskWhoseSecretIsGoneIsStoppedAndFailedInsteadOfReattachedUnmasked() {
    rig.create(
        assignedTo("w1", userTask("orphan", s -> s.setEnvFrom(new EnvSource("orphan-env")))));
    AgentTaskStatus running = new AgentTaskStatus();
    running.setPhase(AgentTaskPhase.Running);
    running.setWorkerId("w1");
    running.setBackendRef(new BackendRef("direct", "orphan", null, 4242L, "/ws/orphan", null));
    AgentTask task = rig.get("orphan");
    task.setStatus(running);
    rig.client.resource(task).updateStatus();

    rig.settle();

    AgentTask failed = rig.get("orphan");
    assertThat(failed.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
    assertThat(failed.getStatus().getMessage())
        .contains("Secret orphan-env", "spec.envFrom.secretName", "cannot be masked");
    assertThat(rig.backend.calls())
        .as("stopped and cleaned up, never followed")
        .containsExactly("cancel:orphan", "cleanup:orphan");
  }
}
