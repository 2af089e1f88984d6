package dev.ozworker.task;

import dev.ozworker.config.DockerBackendConfig;
import dev.ozworker.config.TaskImages;
import dev.ozworker.config.UserTasksConfig;
import dev.ozworker.config.WorkerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The images a user-authored AgentTask may run, as {@code user_tasks} allows them: checked on the
 * resolved task, so only what would really run is judged (a {@code spec.sidecarImage} the worker's
 * {@code sidecar_image} replaces is not). The worker's own images are always allowed: they are the
 * ones a task gets when it names none.
 */
public final class UserTaskImages {
  private final UserTasksConfig rules;
  private final String defaultImage;
  private final Set<String> ownSidecars = new TreeSet<>();

  public UserTaskImages(WorkerConfig config) {
    TaskImages images =
        config.backend() instanceof TaskImages own ? own : DockerBackendConfig.defaults();
    this.rules = config.userTasks();
    this.defaultImage = images.defaultImage().orElse(TaskResolver.FALLBACK_IMAGE);
    images.sidecarImage().ifPresent(ownSidecars::add);
    ownSidecars.addAll(images.codingCliSidecars().values());
  }

  /** What {@code spec} runs that {@code user_tasks} does not allow; empty when it may run. */
  public List<String> problems(TaskSpec spec) {
    List<String> problems = new ArrayList<>();
    if (!spec.image().equals(defaultImage)
        && !UserTasksConfig.allows(rules.images(), spec.image())) {
      problems.add(
          "spec.image "
              + spec.image()
              + " is not allowed for AgentTasks written by hand: leave spec.image empty for "
              + defaultImage
              + ", or add the image to user_tasks.images in the worker's config");
    }
    for (Sidecar sidecar : spec.sidecars()) {
      if (!ownSidecars.contains(sidecar.image())
          && !UserTasksConfig.allows(rules.sidecarImages(), sidecar.image())) {
        String field =
            sidecar.mountPath().equals(TaskResolver.AGENT_MOUNT_PATH)
                ? "spec.sidecarImage"
                : "spec.additionalSidecars (at " + sidecar.mountPath() + ")";
        problems.add(
            field
                + " "
                + sidecar.image()
                + " is not allowed for AgentTasks written by hand: remove it, or add the image to"
                + " user_tasks.sidecar_images in the worker's config");
      }
    }
    return problems;
  }
}
