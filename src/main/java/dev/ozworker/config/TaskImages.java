package dev.ozworker.config;

import java.util.Map;
import java.util.Optional;

/**
 * The images a backend's block gives task resolution: the task image when the assignment names
 * none, the {@code /agent} sidecar image that replaces Oz's, and the coding-CLI sidecar of each
 * harness. The reference keeps them under {@code backend.kubernetes}; we offer them under {@code
 * backend.docker} as well.
 */
public interface TaskImages {
  /** The image of tasks whose assignment names none. */
  Optional<String> defaultImage();

  /** The image mounted at {@code /agent} instead of the one Oz sends. */
  Optional<String> sidecarImage();

  /** Harness name to the image mounted at {@code /mnt/<harness>-cli-sidecar}. */
  Map<String, String> codingCliSidecars();
}
