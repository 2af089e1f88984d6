package dev.ozworker.backend.direct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spare output FIFOs, made by the real {@code mkfifo}. */
class SpareFifosIT {
  @TempDir Path logs;
  private final ExecutorService executor = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  @Test
  void aRunGetsASpareFifoOnlyItsUserCanUseAndTheStockIsMadeUpAgain() throws Exception {
    try (SpareFifos spares = SpareFifos.open(logs, executor)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> spares.stocked() == SpareFifos.STOCK);
      assertThat(Files.getPosixFilePermissions(logs.resolve(".direct-fifos")))
          .isEqualTo(PosixFilePermissions.fromString("rwx------"));

      Path output = Files.createDirectories(logs.resolve("run")).resolve("output");
      Files.writeString(output, "left by an earlier attempt");
      spares.place(output);

      assertThat(Files.readAttributes(output, PosixFileAttributes.class).isOther())
          .as("a FIFO, not the regular file that was there")
          .isTrue();
      assertThat(Files.getPosixFilePermissions(output))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      assertThat(spares.stocked()).isEqualTo(SpareFifos.STOCK - 1);
      long processes = spares.processes();
      spares.restockLater();
      while (spares.stocked() > SpareFifos.STOCK / 2 + 1) {
        spares.place(output);
        spares.restockLater();
      }
      assertThat(spares.processes())
          .as("no restock while the stock is above half")
          .isEqualTo(processes);
      spares.place(output);
      spares.restockLater();
      await().atMost(Duration.ofSeconds(30)).until(() -> spares.stocked() == SpareFifos.STOCK);
      assertThat(spares.processes()).as("one process made the stock up").isEqualTo(processes + 1);
    }
  }

  @Test
  void withTheStockUsedUpTheFifoIsMadeOnTheSpotWithANewStockInTheSameProcess() throws Exception {
    try (SpareFifos spares = SpareFifos.open(logs, executor)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> spares.stocked() == SpareFifos.STOCK);
      long processes = spares.processes();
      Path run = Files.createDirectories(logs.resolve("run"));
      // a burst: three stocks' worth of runs, none waiting for a restock in the background
      for (int i = 0; i < 3 * SpareFifos.STOCK; i++) {
        Path output = run.resolve("output-" + i);
        spares.place(output);
        assertThat(Files.readAttributes(output, PosixFileAttributes.class).isOther()).isTrue();
        assertThat(Files.getPosixFilePermissions(output))
            .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      }
      assertThat(spares.processes() - processes)
          .as("mkfifo processes for %d runs after the stock was used up", 2 * SpareFifos.STOCK)
          .isLessThanOrEqualTo(2);
    }
  }

  @Test
  void aDeadWorkersSparesAreRemovedAndALiveStocksAreKept() throws Exception {
    Path abandoned = Files.createDirectories(logs.resolve(".direct-fifos").resolve("gone"));
    Files.writeString(abandoned.resolve("fifo-1"), "");
    try (SpareFifos live = SpareFifos.open(logs, executor);
        SpareFifos second = SpareFifos.open(logs, executor)) {
      assertThat(abandoned).doesNotExist();
      await().atMost(Duration.ofSeconds(30)).until(() -> live.stocked() == SpareFifos.STOCK);
      Path run = Files.createDirectories(logs.resolve("run"));
      live.place(run.resolve("output"));
      assertThat(Files.readAttributes(run.resolve("output"), PosixFileAttributes.class).isOther())
          .isTrue();
      second.close();
      assertThat(folders()).hasSize(1);
    }
    assertThat(folders()).as("closed stocks remove their folders").isEmpty();
  }

  private Stream<Path> folders() throws Exception {
    try (Stream<Path> list = Files.list(logs.resolve(".direct-fifos"))) {
      return list.toList().stream();
    }
  }
}
