package dev.ozworker.backend.direct;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The uid and gid a run's setup, agent and teardown take ({@code backend.direct.run_as_uid}), so
 * that they cannot read what only the worker's uid may: the pod's service-account token, the
 * worker's files and its {@code /proc/<pid>/environ}. util-linux {@code setpriv} switches before it
 * execs the command: no supplementary groups, no inheritable capabilities, and no new privileges,
 * so a setuid binary in the agent's reach cannot give back what was dropped.
 */
record RunAs(long uid, long gid) {
  static final String SETPRIV = "/usr/bin/setpriv";

  /** {@code command}, run as this uid and gid. */
  List<String> wrap(List<String> command) {
    List<String> argv = new ArrayList<>(prefix());
    argv.addAll(command);
    return argv;
  }

  List<String> prefix() {
    return List.of(
        SETPRIV,
        "--reuid=" + uid,
        "--regid=" + gid,
        "--clear-groups",
        "--inh-caps=-all",
        "--no-new-privs");
  }

  /** Gives {@code path} (not a link it may be) to this uid and gid, so the run may write it. */
  void own(Path path) throws IOException {
    Files.setAttribute(path, "unix:uid", (int) uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:gid", (int) gid, LinkOption.NOFOLLOW_LINKS);
  }
}
