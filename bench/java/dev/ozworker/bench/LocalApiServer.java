package dev.ozworker.bench;

import java.io.IOException;
import java.util.List;

/**
 * The API server's processes when they run on this machine (kube-local: {@code kube-apiserver} and
 * its {@code etcd}): their CPU time, so that a benchmark can say what its writes cost the server,
 * which shares the machine's CPUs with the worker.
 */
record LocalApiServer(List<Long> pids) {
  static LocalApiServer find() {
    return new LocalApiServer(
        ProcessHandle.allProcesses()
            .filter(
                process ->
                    process
                        .info()
                        .command()
                        .filter(
                            command ->
                                command.endsWith("/kube-apiserver") || command.endsWith("/etcd"))
                        .isPresent())
            .map(ProcessHandle::pid)
            .toList());
  }

  boolean isHere() {
    return !pids.isEmpty();
  }

  /** CPU time used so far by all of them, in ms; 0 when there are none here. */
  double cpuMs() {
    double sum = 0;
    for (long pid : pids) {
      try {
        sum += ProcCpu.of(pid).ownMs();
      } catch (IOException gone) {
        // A process that ended counts no more: the figure is then a lower bound.
      }
    }
    return sum;
  }
}
