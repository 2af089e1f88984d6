package dev.ozworker.config;

/** When the Docker backend pulls a task's image; named as in Kubernetes. */
public enum ImagePullPolicy {
  /** Pull before every task, as the reference does. */
  Always,
  /** Pull only when the engine does not have the image. */
  IfNotPresent,
  /** Never pull; a missing image fails the task with {@code image_pull}. */
  Never
}
