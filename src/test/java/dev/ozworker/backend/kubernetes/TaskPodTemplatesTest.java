package dev.ozworker.backend.kubernetes;

import static dev.ozworker.backend.kubernetes.PodFixtures.container;
import static dev.ozworker.backend.kubernetes.PodFixtures.env;
import static dev.ozworker.backend.kubernetes.PodFixtures.settings;
import static dev.ozworker.backend.kubernetes.PodFixtures.task;
import static dev.ozworker.backend.kubernetes.PodFixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The operator's {@code pod_template} merged with the worker's Pod, as PROTOCOL.md §4b says. */
class TaskPodTemplatesTest {
  /** A template with no {@code task} container: scheduling, a native sidecar, a log shipper. */
  static final String PLAIN =
      """
      serviceAccountName: agents
      nodeSelector: {pool: agents}
      tolerations: [{key: dedicated, operator: Equal, value: agents, effect: NoSchedule}]
      restartPolicy: OnFailure
      activeDeadlineSeconds: 600
      initContainers:
      - name: proxy
        image: example.com/proxy:1
        restartPolicy: Always
      containers:
      - name: log-shipper
        image: example.com/shipper:1
      volumes:
      - name: cache
        persistentVolumeClaim: {claimName: cache}
      """;

  /** A template that shapes the {@code task} container itself. */
  static final String WITH_TASK =
      """
      automountServiceAccountToken: true
      securityContext:
        fsGroup: 1000
      containers:
      - name: task
        image: ignored:1
        command: [ignored]
        args: [ignored]
        workingDir: /ignored
        imagePullPolicy: Always
        terminationMessagePath: /tmp/termination
        env:
        - {name: FROM_TEMPLATE, value: kept}
        - {name: OZ_RUN_ID, value: replaced}
        - {name: API_TOKEN, value: replaced-by-the-secret-reference}
        volumeMounts:
        - {name: cache, mountPath: /cache}
        resources:
          requests: {cpu: 500m, ephemeral-storage: 20Gi}
          limits: {ephemeral-storage: 20Gi}
        securityContext:
          runAsUser: 1000
          runAsNonRoot: true
      volumes:
      - name: cache
        emptyDir: {}
      """;

  static PodSpec template(String yaml) {
    return Serialization.unmarshal(yaml, PodSpec.class);
  }

  @Test
  void theTemplateDecidesWhatTheWorkerDoesNotAndTheTaskContainerIsAppended() throws Exception {
    Pod pod =
        TaskPods.build(task().build(), settings().template(template(PLAIN)).setup("make").build());
    PodSpec spec = pod.getSpec();

    assertThat(spec.getServiceAccountName()).isEqualTo("agents");
    assertThat(spec.getNodeSelector()).containsEntry("pool", "agents");
    assertThat(spec.getTolerations()).hasSize(1);
    assertThat(spec.getRestartPolicy()).isEqualTo("Never");
    assertThat(spec.getActiveDeadlineSeconds()).isEqualTo(600L);
    assertThat(spec.getInitContainers())
        .extracting(Container::getName)
        .containsExactly("copy-sidecar-0", "setup", "proxy");
    assertThat(spec.getInitContainers().get(2).getRestartPolicy()).isEqualTo("Always");
    assertThat(spec.getContainers())
        .extracting(Container::getName)
        .containsExactly("log-shipper", "task");
    assertThat(spec.getVolumes())
        .extracting(Volume::getName)
        .containsExactly("cache", "workspace", "sidecar-0-data");
    assertThat(spec.getAutomountServiceAccountToken()).isFalse();
    assertThat(spec.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
  }

  @Test
  void aTemplateTaskContainerIsTakenOverKeepingWhatTheWorkerDoesNotSet() throws Exception {
    Pod pod =
        TaskPods.build(
            task().build(),
            settings().template(template(WITH_TASK)).teardown(Optional.of("true")).build());
    Container task = container(pod, "task");

    assertThat(pod.getSpec().getContainers()).hasSize(1);
    assertThat(task.getImage()).isEqualTo("ubuntu:22.04");
    assertThat(task.getCommand()).startsWith("/bin/sh", "-c").endsWith("oz-task");
    assertThat(task.getCommand().get(2)).contains("> '/tmp/termination'");
    assertThat(task.getTerminationMessagePath()).isEqualTo("/tmp/termination");
    assertThat(task.getArgs()).startsWith("agent", "run");
    assertThat(task.getWorkingDir()).isEqualTo("/workspace");
    assertThat(task.getImagePullPolicy()).isEqualTo("Always");
    assertThat(task.getVolumeMounts())
        .extracting(VolumeMount::getMountPath)
        .containsExactly("/cache", "/workspace", "/agent");
    assertThat(task.getEnv())
        .extracting(EnvVar::getName)
        .startsWith("FROM_TEMPLATE", "OZ_RUN_ID", "API_TOKEN", "TASK_ID");
    assertThat(env(task, "FROM_TEMPLATE").getValue()).isEqualTo("kept");
    assertThat(env(task, "OZ_RUN_ID").getValue()).isEqualTo(PodFixtures.RUN_ID);
    assertThat(env(task, "API_TOKEN").getValue()).isNull();
    assertThat(env(task, "API_TOKEN").getValueFrom().getSecretKeyRef().getName())
        .isEqualTo(PodFixtures.ENV_SECRET);
    assertThat(task.getResources().getRequests())
        .containsOnly(
            Map.entry("cpu", new Quantity("2")),
            Map.entry("memory", new Quantity("4Gi")),
            Map.entry("ephemeral-storage", new Quantity("20Gi")));
    assertThat(task.getResources().getLimits())
        .containsOnly(
            Map.entry("cpu", new Quantity("2")),
            Map.entry("memory", new Quantity("4Gi")),
            Map.entry("ephemeral-storage", new Quantity("20Gi")));
    assertThat(task.getSecurityContext().getRunAsUser()).isEqualTo(1000L);
    assertThat(task.getSecurityContext().getCapabilities()).isNull();
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isTrue();
    assertThat(pod.getSpec().getSecurityContext().getFsGroup()).isEqualTo(1000L);
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
  }

  @Test
  void anEmptyTemplatePullPolicyIsTheWorkers() throws Exception {
    PodSpec spec = template(WITH_TASK);
    spec.getContainers().get(0).setImagePullPolicy(null);

    Pod pod = TaskPods.build(task().build(), settings().template(spec).pullPolicy("Never").build());

    assertThat(container(pod, "task").getImagePullPolicy()).isEqualTo("Never");
  }

  @Test
  void theTemplatesSeccompProfileStands() throws Exception {
    PodSpec spec =
        template("securityContext: {seccompProfile: {type: Unconfined}}\ncontainers: []\n");

    Pod pod = TaskPods.build(task().build(), settings().template(spec).build());

    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("Unconfined");
  }

  @Test
  void aShorterConfiguredDeadlineWinsOverTheTemplates() throws Exception {
    Pod pod =
        TaskPods.build(
            task().build(),
            settings().template(template(PLAIN)).deadline(OptionalLong.of(60)).build());

    assertThat(pod.getSpec().getActiveDeadlineSeconds()).isEqualTo(60L);
  }

  @Test
  void theTemplateIsNeverChanged() throws Exception {
    PodSpec spec = template(WITH_TASK);
    String before = yaml(spec);
    PodSettings settings = settings().template(spec).build();

    Pod first = TaskPods.build(task().build(), settings);
    Pod second = TaskPods.build(task().build(), settings);

    assertThat(yaml(spec)).isEqualTo(before);
    assertThat(yaml(settings.podTemplate().orElseThrow())).isEqualTo(before);
    assertThat(yaml(second)).isEqualTo(yaml(first));
  }

  @Test
  void aTemplateThatUsesANameOfTheWorkersIsRefusedNamingIt() {
    PodSpec volume = template("volumes: [{name: workspace, emptyDir: {}}]\n");
    PodSpec init = template("initContainers: [{name: setup, image: x}]\n");

    assertThatThrownBy(() -> TaskPods.build(task().build(), settings().template(volume).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pod_template")
        .hasMessageContaining("volume named workspace");
    assertThatThrownBy(
            () -> TaskPods.build(task().build(), settings().template(init).setup("make").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("container named setup");
  }
}
