package dev.ozworker.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.observe.LogCapture;
import dev.ozworker.observe.Redactor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskLogTest {
  private static final String SECRET = "ghp_s3cr3tTOKENvalue";

  @TempDir Path dir;

  @Test
  void outputGoesToTheWorkersLogMaskedOnlyWhenAsked() throws IOException {
    try (LogCapture logs = LogCapture.start()) {
      try (TaskLog log = TaskLog.open(dir, "echoed", new Redactor(List.of(SECRET)), true)) {
        write(log, "agent says " + SECRET + "\nsecond line\n");
      }
      try (TaskLog log = TaskLog.open(dir, "quiet", new Redactor(List.of(SECRET)), false)) {
        write(log, "not in the worker's log\n");
      }

      assertThat(logs.text())
          .contains("agent says [REDACTED]", "second line")
          .doesNotContain(SECRET, "not in the worker's log");
    }
    assertThat(Files.readString(TaskLog.file(dir, "quiet"))).isEqualTo("not in the worker's log\n");
  }

  @Test
  void masksSecretsBeforeTheyReachTheFileOrTheTail() throws IOException {
    try (TaskLog log = TaskLog.open(dir, "t1", new Redactor(List.of(SECRET)))) {
      write(log, "token is " + SECRET + "\n");
      assertThat(log.tail()).isEqualTo("token is [REDACTED]\n");
    }

    assertThat(Files.readString(TaskLog.file(dir, "t1"))).isEqualTo("token is [REDACTED]\n");
  }

  @Test
  void masksASecretSplitAcrossWritesAndAcrossAMultibyteCharacter() throws IOException {
    byte[] bytes = ("é " + SECRET + " ü\n").getBytes(StandardCharsets.UTF_8);
    try (TaskLog log = TaskLog.open(dir, "t1", new Redactor(List.of(SECRET)))) {
      for (byte b : bytes) {
        log.write(new byte[] {b}, 0, 1);
      }
    }

    assertThat(Files.readString(TaskLog.file(dir, "t1"))).isEqualTo("é [REDACTED] ü\n");
  }

  @Test
  void masksASecretCutByALineThatNeverEnds() throws IOException {
    String filler = "x".repeat(TaskLog.MAX_PENDING_CHARS - 5);
    try (TaskLog log = TaskLog.open(dir, "t1", new Redactor(List.of(SECRET)))) {
      write(log, filler + SECRET + filler + SECRET);
      assertThat(log.tail()).doesNotContain(SECRET).endsWith(Redactor.MASK);
    }

    String written = Files.readString(TaskLog.file(dir, "t1"));
    assertThat(written).doesNotContain(SECRET).doesNotContain(SECRET.substring(0, 8));
    assertThat(written).isEqualTo(filler + Redactor.MASK + filler + Redactor.MASK);
  }

  static final String PEM =
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n"
          + "-----END PRIVATE KEY-----";

  @Test
  void masksASecretThatSpansLinesInTheFileWhenItIsWrittenLineByLine() throws IOException {
    try (TaskLog log = TaskLog.open(dir, "t1", new Redactor(List.of(PEM)))) {
      write(log, "key:\n");
      for (String line : (PEM + "\n").split("(?<=\n)")) {
        write(log, line);
        assertThat(log.tail()).doesNotContain("MIIEvQIBADAN", "BKcwggSj");
      }
      write(log, "done\n");
      log.line("[worker] a note of the worker's");
    }

    assertThat(Files.readString(TaskLog.file(dir, "t1")))
        .isEqualTo("key:\n[REDACTED]\ndone\n[worker] a note of the worker's\n");
  }

  @Test
  void writesWhatOnlyBeganLikeASecretThatSpansLinesOnceItDiffers() throws IOException {
    try (TaskLog log = TaskLog.open(dir, "t1", new Redactor(List.of(PEM)))) {
      write(log, "-----BEGIN PRIVATE KEY-----\n");
      assertThat(Files.readString(TaskLog.file(dir, "t1"))).isEmpty();
      write(log, "not a key after all\n");
      assertThat(Files.readString(TaskLog.file(dir, "t1")))
          .isEqualTo("-----BEGIN PRIVATE KEY-----\nnot a key after all\n");
    }
  }

  @Test
  void masksValuesLearntWhileTheRunGoesOn() throws IOException {
    try (TaskLog log = TaskLog.open(dir, "t1", Redactor.none())) {
      write(log, "before ");
      log.mask(List.of("setup-made-token"));
      write(log, "setup-made-token\n");
    }

    assertThat(Files.readString(TaskLog.file(dir, "t1"))).isEqualTo("before [REDACTED]\n");
  }

  @Test
  void keepsOnlyABoundedTail() throws IOException {
    try (TaskLog log = TaskLog.open(dir, "t1", Redactor.none())) {
      for (int i = 0; i < 10_000; i++) {
        write(log, "line " + i + "\n");
      }
      assertThat(log.tail()).hasSizeLessThanOrEqualTo(TaskLog.TAIL_CHARS).endsWith("line 9999\n");
    }
  }

  @Test
  void rotatesOnceAtTheSizeLimit() throws IOException {
    try (TaskLog log = TaskLog.open(dir, "t1", Redactor.none(), 100)) {
      for (int i = 0; i < 30; i++) {
        write(log, "line %02d\n".formatted(i));
      }
    }

    Path current = TaskLog.file(dir, "t1");
    Path previous = dir.resolve("t1.log.1");
    assertThat(Files.size(current)).isLessThanOrEqualTo(100);
    assertThat(Files.size(previous)).isLessThanOrEqualTo(100);
    assertThat(Files.readString(current)).endsWith("line 29\n");
    assertThat(Files.list(dir)).hasSize(2);
  }

  @Test
  void appendsWhenOpenedAgainAndKeepsTheFilePrivate() throws IOException {
    Path logs = dir.resolve("logs");
    try (TaskLog log = TaskLog.open(logs, "t1", Redactor.none())) {
      log.line("first run");
    }
    try (TaskLog log = TaskLog.open(logs, "t1", Redactor.none())) {
      write(log, "unfinished line");
    }

    Path file = TaskLog.file(logs, "t1");
    assertThat(Files.readString(file)).isEqualTo("first run\nunfinished line");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(logs)))
        .isEqualTo("rwx------");
  }

  @Test
  void keepsTheTailWhenTheDiskCannotBeWritten() throws IOException {
    Path notADirectory = Files.writeString(dir.resolve("file"), "");
    try (TaskLog log = TaskLog.open(notADirectory, "t1", new Redactor(List.of(SECRET)))) {
      write(log, "still " + SECRET + "\n");
      assertThat(log.tail()).isEqualTo("still [REDACTED]\n");
    }
  }

  private static void write(TaskLog log, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    log.write(bytes, 0, bytes.length);
  }
}
