package dev.ozworker.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.backend.TaskLog;
import dev.ozworker.observe.Redactor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerOutputTest {
  @TempDir Path logs;

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aStreamReadAgainFromTheStartWritesOnlyWhatTheBrokenOneDidNotReach() throws Exception {
    TaskLog log = TaskLog.open(logs, "r1", Redactor.none());
    ContainerOutput output = new ContainerOutput(log);
    ContainerOutput.Reader broken = output.reader();
    broken.accept(bytes("one\n"));
    broken.accept(bytes("two\n"));

    ContainerOutput.Reader again = output.reader();
    again.accept(bytes("one\n"));
    again.accept(bytes("two\nthr"));
    again.accept(bytes("ee\n"));
    log.close();

    assertThat(Files.readString(TaskLog.file(logs, "r1"))).isEqualTo("one\ntwo\nthree\n");
  }

  @Test
  void twoStreamsReadingAtOnceWriteEachByteOnce() throws Exception {
    TaskLog log = TaskLog.open(logs, "r2", Redactor.none());
    ContainerOutput output = new ContainerOutput(log);
    ContainerOutput.Reader first = output.reader();
    ContainerOutput.Reader second = output.reader();

    first.accept(bytes("a\n"));
    second.accept(bytes("a\nb\n"));
    first.accept(bytes("b\n"));
    first.accept(bytes("c\n"));
    second.accept(bytes("c\nd\n"));
    log.close();

    assertThat(Files.readString(TaskLog.file(logs, "r2"))).isEqualTo("a\nb\nc\nd\n");
  }

  @Test
  void theLatestFollowingStreamCountsAsBrokenOnlyOnceItEndedWithAProblem() {
    TaskLog log = TaskLog.open(logs, "r3", Redactor.none());
    ContainerOutput output = new ContainerOutput(log);
    var following = new CompletableFuture<Optional<String>>();
    output.following(following);
    assertThat(output.broken()).as("still reading").isFalse();

    following.complete(Optional.of("connection reset"));

    assertThat(output.broken()).isTrue();
    output.following(CompletableFuture.completedFuture(Optional.empty()));
    assertThat(output.broken()).as("read to the end the engine gave").isFalse();
    log.close();
  }
}
