package dev.ozworker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of a process and of its children it has waited for, from {@code /proc/<pid>/stat}: a
 * Direct run's CPU is mostly spent in the processes it starts (the agent's wrapper, the CLI), which
 * the process's own time does not show.
 *
 * @param ownMs the process's user and system time
 * @param childrenMs that of its ended children and their descendants
 */
public record ProcCpu(double ownMs, double childrenMs) {
  /** USER_HZ, which {@code /proc} counts in: 100 on Linux. */
  private static final double MS_PER_TICK = 10;

  public static ProcCpu of(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
    // after the command's ")": state is field 3, utime 14, stime 15, cutime 16, cstime 17
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long own = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    long children = Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
    return new ProcCpu(own * MS_PER_TICK, children * MS_PER_TICK);
  }

  public static ProcCpu self() throws IOException {
    return of(ProcessHandle.current().pid());
  }

  /** The time spent since {@code earlier}. */
  public ProcCpu since(ProcCpu earlier) {
    return new ProcCpu(ownMs - earlier.ownMs, childrenMs - earlier.childrenMs);
  }
}
