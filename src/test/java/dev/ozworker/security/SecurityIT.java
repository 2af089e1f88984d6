package dev.ozworker.security;

import static dev.ozworker.oz.fake.OzAssignments.assignment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.api.AgentTask;
import dev.ozworker.api.AgentTaskKeys;
import dev.ozworker.api.AgentTaskPhase;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The security review of 2026-12-05, one nested class per item: each test fails on the code the
 * review was made of and passes on the fix. Real API server (kube-local, skipped without
 * KUBECONFIG) and real Docker engine where the item needs them.
 */
class SecurityIT {

  /** Item 1: authoring an AgentTask grants none of the worker's powers. */
  @Nested
  class AuthoringAnAgentTask {
    @TempDir Path root;

    @Test
    void aHandWrittenTaskNamingTheApiKeySecretOrAnotherTasksSecretFailsAndNoAgentGetsItsValues()
        throws Exception {
      try (AuthoringWorker worker = AuthoringWorker.start("secrets", "", root)) {
        String taskSecret = "ghs_authoring_" + worker.run;
        worker.secret(
            "oz-worker-api-key",
            Map.of(AgentTaskKeys.USABLE_BY_TASKS_LABEL, "true"),
            Map.of("WARP_API_KEY", worker.apiKey));
        String fromOz = "oz-task-" + worker.run;
        worker.oz.assign(worker.workerId, assignment(fromOz, Map.of("GH_TOKEN", taskSecret)));
        await()
            .atMost(AuthoringWorker.WAIT)
            .until(() -> !worker.oz.framesAbout(fromOz, "task_completed").isEmpty());

        worker.create(worker.handWritten("takes-the-key", "oz-worker-api-key"));
        worker.create(worker.handWritten("takes-a-task", fromOz + "-env"));

        for (String thief : List.of("takes-the-key", "takes-a-task")) {
          AgentTask refused = worker.awaitFinished(thief);
          assertThat(refused.getStatus().getPhase()).isEqualTo(AgentTaskPhase.Failed);
          assertThat(refused.getStatus().getMessage()).contains("spec.envFrom.secretName");
          assertThat(Serialization.asJson(refused))
              .doesNotContain(worker.apiKey)
              .doesNotContain(taskSecret);
        }
        List<String> runs = worker.agentRuns();
        assertThat(runs)
            .as("only the task from Oz ran, with its own Secret")
            .singleElement()
            .satisfies(run -> assertThat(run).contains("--task-id " + fromOz, taskSecret));
        assertThat(String.join("\n", runs)).doesNotContain(worker.apiKey);
      }
    }

    @Test
    void aForgedTaskIdOrACopiedProofSendsNothingToOz() throws Exception {
      try (AuthoringWorker worker = AuthoringWorker.start("forged", "", root)) {
        String fromOz = "oz-task-" + worker.run;
        worker.oz.assign(worker.workerId, assignment(fromOz));
        await()
            .atMost(AuthoringWorker.WAIT)
            .until(() -> !worker.oz.framesAbout(fromOz, "task_completed").isEmpty());
        AgentTask stored = worker.task(fromOz);

        AgentTask forged = worker.handWritten("forged", null);
        forged.getSpec().setTaskId("victim-" + worker.run);
        worker.create(forged);
        AgentTask copy = worker.handWritten("copy", null);
        copy.setSpec(stored.getSpec());
        copy.getMetadata().setAnnotations(stored.getMetadata().getAnnotations());
        worker.create(copy);
        worker.awaitFinished("forged");
        worker.awaitFinished("copy");
        String later = "oz-later-" + worker.run;
        worker.oz.assign(worker.workerId, assignment(later));
        await()
            .atMost(AuthoringWorker.WAIT)
            .until(() -> !worker.oz.framesAbout(later, "task_completed").isEmpty());

        assertThat(worker.phase("forged")).as("it ran").isEqualTo(AgentTaskPhase.Succeeded);
        assertThat(worker.oz.received())
            .filteredOn(frame -> frame.taskId().equals("victim-" + worker.run))
            .isEmpty();
        assertThat(worker.oz.received())
            .filteredOn(frame -> frame.taskId().equals(fromOz))
            .extracting(Frame::type)
            .containsExactly("task_claimed", "task_completed");
      }
    }

    @Test
    void aSecretTheNamespaceOwnerLabelledReachesTheAgentAndAnUnlabelledOneDoesNot()
        throws Exception {
      try (AuthoringWorker worker = AuthoringWorker.start("opt-in", "", root)) {
        worker.secret(
            "team-env",
            Map.of(AgentTaskKeys.USABLE_BY_TASKS_LABEL, "true"),
            Map.of("TEAM_TOKEN", "team-value-" + worker.run));
        worker.secret("private-env", Map.of(), Map.of("PRIVATE", "private-value-" + worker.run));

        worker.create(worker.handWritten("shares", "team-env"));
        worker.create(worker.handWritten("pries", "private-env"));

        assertThat(worker.phase("shares")).isEqualTo(AgentTaskPhase.Succeeded);
        assertThat(worker.phase("pries")).isEqualTo(AgentTaskPhase.Failed);
        assertThat(worker.task("pries").getStatus().getMessage())
            .contains(AgentTaskKeys.USABLE_BY_TASKS_LABEL + "=true");
        assertThat(worker.agentRuns())
            .singleElement()
            .satisfies(run -> assertThat(run).contains("team-value-" + worker.run));
        assertThat(
                worker
                    .client
                    .secrets()
                    .inNamespace(worker.namespace)
                    .withName("team-env")
                    .get()
                    .getMetadata()
                    .getOwnerReferences())
            .as("shared, so never deleted with a task")
            .isNullOrEmpty();
      }
    }

    @Test
    void withUserTasksOffAHandWrittenTaskFailsAndTasksFromOzStillRun() throws Exception {
      try (AuthoringWorker worker =
          AuthoringWorker.start("off", "user_tasks: {enabled: false}", root)) {
        worker.create(worker.handWritten("by-hand", null));
        String fromOz = "oz-task-" + worker.run;
        worker.oz.assign(worker.workerId, assignment(fromOz));

        await()
            .atMost(AuthoringWorker.WAIT)
            .until(() -> !worker.oz.framesAbout(fromOz, "task_completed").isEmpty());
        assertThat(worker.phase("by-hand")).isEqualTo(AgentTaskPhase.Failed);
        assertThat(worker.task("by-hand").getStatus().getMessage())
            .contains("user_tasks.enabled is false");
        assertThat(worker.agentRuns())
            .singleElement()
            .satisfies(run -> assertThat(run).contains("--task-id " + fromOz));
      }
    }
  }

  /** Item 2: the shared sidecar volumes are never writable by a task. */
  @Nested
  class SharedSidecarVolumes {
    // item 2
  }

  /** Item 3: Docker task containers are hardened by default. */
  @Nested
  class DockerHardening {
    // item 3
  }

  /** Item 4: secrets reach no agent, hook or log by a side door. */
  @Nested
  class SecretSideDoors {
    // item 4
  }

  /** Item 5: what an agent on the Direct backend can reach of the worker. */
  @Nested
  class DirectExposure {
    // item 5
  }

  /** Item 6: transport to Oz. */
  @Nested
  class Transport {
    // item 6
  }
}
