package dev.ozworker.backend.docker;

import com.github.dockerjava.api.model.Capability;
import dev.ozworker.config.DockerBackendConfig;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What every task container is confined by, beyond the engine's defaults: an agent runs code it
 * wrote itself or fetched, so it gets no way to gain privileges, a bounded number of processes and
 * none of the capabilities it never needs (raw sockets, device nodes, audit records, chroot).
 *
 * @param noNewPrivileges whether {@code no-new-privileges} is set
 * @param pidsLimit most processes and threads at once; empty for no limit
 * @param capDrop capabilities dropped from the engine's default set
 * @param defaultMemoryBytes memory limit of a task whose instance shape has none
 * @param defaultNanoCpus CPU limit of a task whose instance shape has none
 */
record ContainerHardening(
    boolean noNewPrivileges,
    OptionalLong pidsLimit,
    List<Capability> capDrop,
    OptionalLong defaultMemoryBytes,
    OptionalLong defaultNanoCpus) {

  /** The engine refuses a memory limit below 6 MiB. */
  static final long MIN_MEMORY_BYTES = 6L << 20;

  private static final BigDecimal NANOS = BigDecimal.valueOf(1_000_000_000L);

  ContainerHardening {
    capDrop = List.copyOf(capDrop);
  }

  /**
   * The confinement the configuration asks for.
   *
   * @throws IllegalArgumentException a default limit the engine would refuse, naming its key
   */
  static ContainerHardening of(DockerBackendConfig config) {
    return new ContainerHardening(
        config.noNewPrivileges(),
        config.pidsLimit() > 0 ? OptionalLong.of(config.pidsLimit()) : OptionalLong.empty(),
        config.capDrop().stream().map(ContainerHardening::capability).toList(),
        memoryBytes(config.defaultMemory()),
        nanoCpus(config.defaultCpus()));
  }

  /** The engine's {@code SecurityOpt} entries. */
  List<String> securityOpts() {
    return noNewPrivileges ? List.of("no-new-privileges") : List.of();
  }

  /** {@code NET_RAW} or {@code CAP_NET_RAW}, as Docker accepts either. */
  private static Capability capability(String name) {
    String bare = name.startsWith("CAP_") ? name.substring("CAP_".length()) : name;
    try {
      return Capability.valueOf(bare);
    } catch (IllegalArgumentException unknown) {
      throw new IllegalArgumentException(
          "backend.docker.cap_drop names \""
              + name
              + "\", which is not a Linux capability Docker knows: use names such as NET_RAW,"
              + " MKNOD or SYS_CHROOT (see capabilities(7))");
    }
  }

  private static OptionalLong memoryBytes(Optional<String> quantity) {
    if (quantity.isEmpty()) {
      return OptionalLong.empty();
    }
    long bytes = new Quantity(quantity.get()).getNumericalAmount().longValue();
    if (bytes < MIN_MEMORY_BYTES) {
      throw new IllegalArgumentException(
          "backend.docker.default_memory "
              + quantity.get()
              + " is below the 6Mi Docker accepts: give more, e.g. 8Gi, or remove the key for no"
              + " limit");
    }
    return OptionalLong.of(bytes);
  }

  private static OptionalLong nanoCpus(Optional<String> quantity) {
    if (quantity.isEmpty()) {
      return OptionalLong.empty();
    }
    long nanos = new Quantity(quantity.get()).getNumericalAmount().multiply(NANOS).longValue();
    if (nanos < 1_000_000L) {
      throw new IllegalArgumentException(
          "backend.docker.default_cpus "
              + quantity.get()
              + " is below the 1m (a thousandth of a CPU) Docker accepts: give more, e.g. 2, or"
              + " remove the key for no limit");
    }
    return OptionalLong.of(nanos);
  }
}
