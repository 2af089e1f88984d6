package dev.ozworker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * A bind the operator adds to every task container: {@code HOST:CONTAINER[:MODE]}, as {@code docker
 * run -v} takes it.
 */
public record VolumeMount(String source, String containerPath, String mode) {
  private static final Set<String> OPTIONS =
      Set.of(
          "ro",
          "rw",
          "z",
          "Z",
          "nocopy",
          "shared",
          "rshared",
          "slave",
          "rslave",
          "private",
          "rprivate");

  /** Docker's bind string. */
  public String toBind() {
    return mode.isEmpty()
        ? source + ":" + containerPath
        : source + ":" + containerPath + ":" + mode;
  }

  /**
   * The mount {@code spec} denotes.
   *
   * @throws IllegalArgumentException saying what is wrong with {@code spec}
   */
  public static VolumeMount parse(String spec) {
    String[] parts = spec.split(":", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new IllegalArgumentException("expected HOST:CONTAINER or HOST:CONTAINER:MODE");
    }
    if (parts[0].isBlank()) {
      throw new IllegalArgumentException("the host path or volume name is empty");
    }
    if (!parts[1].startsWith("/")) {
      throw new IllegalArgumentException("the container path must be absolute (start with /)");
    }
    String mode = parts.length == 3 ? parts[2] : "";
    for (String option : mode.isEmpty() ? new String[0] : mode.split(",", -1)) {
      if (!OPTIONS.contains(option)) {
        throw new IllegalArgumentException("unknown mode '" + option + "': use ro or rw");
      }
    }
    return new VolumeMount(parts[0], parts[1], mode);
  }

  /**
   * The mounts {@code specs} denote; each that is not a mount adds a problem, named by {@code
   * where} from its index.
   */
  static List<VolumeMount> parseAll(
      List<String> specs, IntFunction<String> where, Consumer<String> problems) {
    List<VolumeMount> mounts = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      try {
        mounts.add(parse(specs.get(i)));
      } catch (IllegalArgumentException e) {
        problems.accept(where.apply(i) + " \"" + specs.get(i) + "\": " + e.getMessage());
      }
    }
    return mounts;
  }
}
