package dev.ozworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogsCommandTest {
  @TempDir Path dir;

  record Outcome(int status, String out, String err) {}

  @Test
  void printsTheRotatedFileThenTheCurrentOne() throws IOException {
    Path logs = Files.createDirectories(dir.resolve("logs"));
    Files.writeString(logs.resolve("4c1d9e2a-task.log.1"), "first half\n");
    Files.writeString(logs.resolve("4c1d9e2a-task.log"), "second half, token=[REDACTED]\n");

    Outcome outcome = run("logs", "4c1d9e2a-task");

    assertThat(outcome.status()).isZero();
    assertThat(outcome.out()).isEqualTo("first half\nsecond half, token=[REDACTED]\n");
  }

  @Test
  void aTaskWithoutALogIsAClearError() throws IOException {
    Files.createDirectories(dir.resolve("logs"));

    Outcome outcome = run("logs", "no-such-task");

    assertThat(outcome.status()).isEqualTo(1);
    assertThat(outcome.out()).isEmpty();
    assertThat(outcome.err())
        .contains("no log of task no-such-task in " + dir.resolve("logs"))
        .contains("no-such-task.log")
        .contains("status.backendRef.runId");
  }

  @Test
  void aPathIsNotATask() throws IOException {
    Outcome outcome = run("logs", "..");

    assertThat(outcome.status()).isEqualTo(1);
    assertThat(outcome.err()).contains("'..' is not a task id or AgentTask name");
  }

  private Outcome run(String... args) throws IOException {
    Path config = dir.resolve("worker.yaml");
    Files.writeString(config, "task_log_dir: " + dir.resolve("logs") + "\n");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 2];
    all[0] = "--config-file";
    all[1] = config.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    int status = Main.execute(all, Map.of(), dir, new PrintWriter(out), new PrintWriter(err));
    return new Outcome(status, out.toString(), err.toString());
  }
}
