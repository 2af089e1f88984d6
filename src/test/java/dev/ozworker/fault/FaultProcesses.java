package dev.ozworker.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Processes by recorded pid, read from {@code /proc}: a zombie (exited, never reaped because its
 * parent died and this machine's init does not reap) counts as ended.
 */
final class FaultProcesses {
  private FaultProcesses() {}

  static boolean isRunning(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // the state follows the command name in parentheses, which may itself hold spaces
      String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return !state.equals("Z") && !state.equals("X");
    } catch (IOException gone) {
      return false;
    }
  }

  static String commandLine(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
    } catch (IOException gone) {
      return "?";
    }
  }
}
