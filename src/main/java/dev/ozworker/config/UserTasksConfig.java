package dev.ozworker.config;

import java.util.List;

/**
 * The {@code user_tasks} block: what an AgentTask the intake did not store (one written with
 * kubectl) may do. Tasks from Oz are never limited by it.
 */
public record UserTasksConfig(
    @Key(
            value = "enabled",
            byDefault = "true",
            ours = true,
            help =
                "run AgentTasks written by hand (not stored by the intake); when `false` they fail"
                    + " at once and nothing of theirs runs")
        boolean enabled,
    @Key(
            value = "images",
            check = Check.TOKEN,
            ours = true,
            help =
                "task images a hand-written AgentTask may name in `spec.image`, as written there;"
                    + " `prefix*` allows every image starting with `prefix`; besides these only"
                    + " the backend's `default_image`")
        List<String> images,
    @Key(
            value = "sidecar_images",
            check = Check.TOKEN,
            ours = true,
            help =
                "sidecar images a hand-written AgentTask may name in `spec.sidecarImage` and"
                    + " `spec.additionalSidecars`, as `images`; besides these only the backend's"
                    + " `sidecar_image` and `coding_cli_sidecars`")
        List<String> sidecarImages) {

  public UserTasksConfig {
    images = List.copyOf(images);
    sidecarImages = List.copyOf(sidecarImages);
  }

  /** Whether {@code image} is one of {@code allowed}: equal, or starting with a {@code prefix*}. */
  public static boolean allows(List<String> allowed, String image) {
    return allowed.stream()
        .anyMatch(
            entry ->
                entry.endsWith("*")
                    ? image.startsWith(entry.substring(0, entry.length() - 1))
                    : entry.equals(image));
  }
}
