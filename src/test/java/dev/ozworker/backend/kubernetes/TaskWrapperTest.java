package dev.ozworker.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ozworker.backend.TaskFailure;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the task container's command, exactly as built into the Pod, under each POSIX shell found
 * here (dash, busybox, bash: the {@code /bin/sh} of Debian, Alpine and Red Hat images), against a
 * stand-in for {@code /agent/entrypoint.sh}.
 */
class TaskWrapperTest {
  @TempDir Path dir;
  final List<Process> started = new ArrayList<>();

  /**
   * The shells to run the wrapper with: {@code /bin/sh}, then each other one installed here, every
   * program once.
   */
  static Stream<List<String>> shells() {
    Map<String, List<String>> byProgram = new LinkedHashMap<>();
    Stream.of(
            List.of("/bin/sh"),
            List.of("/usr/bin/dash"),
            List.of("/bin/busybox", "sh"),
            List.of("/usr/bin/busybox", "sh"),
            List.of("/bin/bash", "--posix"),
            List.of("/usr/bin/bash", "--posix"))
        .filter(shell -> Files.isExecutable(Path.of(shell.get(0))))
        .forEach(shell -> byProgram.putIfAbsent(realPath(shell.get(0)), shell));
    return byProgram.values().stream();
  }

  private static String realPath(String program) {
    try {
      return Path.of(program).toRealPath().toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterEach
  void stopWhatWasStarted() {
    for (Process process : started) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }

  @ParameterizedTest
  @MethodSource("shells")
  void passesTheAgentsExitCodeAndArgumentsThroughWithoutTeardown(List<String> shell)
      throws Exception {
    agent("printf '%s|' \"$@\" > \"$DIR/args\"\nexit 3");

    Process wrapper = start(shell, Optional.empty(), "it's", "two words");

    assertThat(exitOf(wrapper)).isEqualTo(3);
    assertThat(read("args")).isEqualTo("agent|run|it's|two words|");
    assertThat(dir.resolve("termination-log")).doesNotExist();
  }

  @ParameterizedTest
  @MethodSource("shells")
  void sourcesTheEnvironmentFileTheSetupWrote(List<String> shell) throws Exception {
    Files.writeString(dir.resolve(".oz-env"), "FROM_SETUP='hello world'\nexport OTHER=2\n");
    agent("printf '%s/%s' \"$FROM_SETUP\" \"$OTHER\" > \"$DIR/seen\"");

    assertThat(exitOf(start(shell, Optional.empty()))).isZero();
    assertThat(read("seen")).isEqualTo("hello world/2");

    Files.delete(dir.resolve("seen"));
    assertThat(exitOf(start(shell, Optional.of("true")))).isZero();
    assertThat(read("seen")).isEqualTo("hello world/2");
  }

  @ParameterizedTest
  @MethodSource("shells")
  void runsTeardownAfterTheAgentSucceeded(List<String> shell) throws Exception {
    agent("echo agent >> \"$DIR/order\"");

    Process wrapper = start(shell, Optional.of("echo \"teardown $OZ_RUN_ID\" >> \"$DIR/order\""));

    assertThat(exitOf(wrapper)).isZero();
    assertThat(read("order")).isEqualTo("agent\nteardown " + PodFixtures.RUN_ID + "\n");
    assertThat(read("termination-log")).isEqualTo("teardown-exit=0\n");
  }

  @ParameterizedTest
  @MethodSource("shells")
  void runsTeardownAfterTheAgentFailedAndKeepsTheAgentsExitCode(List<String> shell)
      throws Exception {
    agent("echo agent >> \"$DIR/order\"\nexit 42");

    Process wrapper =
        start(shell, Optional.of("echo 'it'\\''s teardown' >> \"$DIR/order\"; exit 5"));

    assertThat(exitOf(wrapper)).isEqualTo(42);
    assertThat(read("order")).isEqualTo("agent\nit's teardown\n");
    assertThat(read("termination-log")).isEqualTo("teardown-exit=5\n");
  }

  @ParameterizedTest
  @MethodSource("shells")
  void stopsTheAgentOnSigtermThenRunsTeardown(List<String> shell) throws Exception {
    agent(
        """
        trap 'echo agent stopped >> "$DIR/order"; kill "$child"; exit 143' TERM
        sleep 60 &
        child=$!
        echo started > "$DIR/started"
        wait "$child"
        echo agent ended on its own >> "$DIR/order"
        """);

    Process wrapper = start(shell, Optional.of("echo teardown >> \"$DIR/order\""));
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("started")));
    wrapper.destroy(); // SIGTERM, as the kubelet stops a container

    assertThat(exitOf(wrapper)).isEqualTo(143);
    assertThat(read("order")).isEqualTo("agent stopped\nteardown\n");
    assertThat(read("termination-log")).isEqualTo("teardown-exit=0\n");
  }

  @ParameterizedTest
  @MethodSource("shells")
  void reportsTheStatusTheAgentChoseWhenStopped(List<String> shell) throws Exception {
    agent(
        """
        trap 'kill "$child"; exit 0' TERM
        sleep 60 &
        child=$!
        echo started > "$DIR/started"
        wait "$child"
        """);

    Process wrapper = start(shell, Optional.of("true"));
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("started")));
    wrapper.destroy();

    assertThat(exitOf(wrapper)).isZero();
    assertThat(read("termination-log")).isEqualTo("teardown-exit=0\n");
  }

  /** Writes the stand-in entry point; {@code $DIR} is the test's directory. */
  private void agent(String body) throws IOException {
    Path script = dir.resolve("entrypoint.sh");
    Files.writeString(script, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
  }

  /**
   * Starts the task container's command from the Pod built for a task with this teardown, with
   * {@code shell} for {@code /bin/sh} and the container's literal environment, the environment file
   * in the test's directory.
   */
  private Process start(List<String> shell, Optional<String> teardown, String... moreArgs)
      throws IOException, TaskFailure {
    Container task = taskContainer(teardown);
    assertThat(task.getCommand().get(0)).isEqualTo("/bin/sh");
    List<String> command = new ArrayList<>(shell);
    command.addAll(task.getCommand().subList(1, task.getCommand().size()));
    command.addAll(task.getArgs());
    command.addAll(List.of(moreArgs));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("output").toFile());
    Map<String, String> env = builder.environment();
    task.getEnv().stream()
        .filter(variable -> variable.getValue() != null)
        .forEach(variable -> env.put(variable.getName(), variable.getValue()));
    env.put("OZ_ENVIRONMENT_FILE", dir.resolve(".oz-env").toString());
    env.put("DIR", dir.toString());
    Process process = builder.start();
    started.add(process);
    return process;
  }

  private Container taskContainer(Optional<String> teardown) throws TaskFailure {
    PodSettings settings =
        PodFixtures.settings()
            .teardown(teardown)
            .template(
                new PodSpecBuilder()
                    .addNewContainer()
                    .withName(TaskPods.TASK_CONTAINER)
                    .withTerminationMessagePath(dir.resolve("termination-log").toString())
                    .endContainer()
                    .build())
            .build();
    Pod pod =
        TaskPods.build(
            PodFixtures.task().args("agent", "run").build(),
            settings,
            dir.resolve("entrypoint.sh").toString());
    return PodFixtures.container(pod, TaskPods.TASK_CONTAINER);
  }

  private int exitOf(Process process) throws InterruptedException, IOException {
    assertThat(process.waitFor(20, TimeUnit.SECONDS))
        .as("the wrapper ended; its output: %s", read("output"))
        .isTrue();
    return process.exitValue();
  }

  private String read(String name) throws IOException {
    Path file = dir.resolve(name);
    return Files.exists(file) ? Files.readString(file) : "(no " + name + ")";
  }
}
