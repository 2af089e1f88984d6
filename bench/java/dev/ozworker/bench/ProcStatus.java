package dev.ozworker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory and thread count of a process, from {@code /proc/<pid>/status}. */
public record ProcStatus(double rssMiB, int threads) {

  public static ProcStatus of(long pid) throws IOException {
    double rss = Double.NaN;
    int threads = -1;
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      } else if (line.startsWith("Threads:")) {
        threads = Integer.parseInt(line.replaceAll("[^0-9]", ""));
      }
    }
    return new ProcStatus(rss, threads);
  }
}
