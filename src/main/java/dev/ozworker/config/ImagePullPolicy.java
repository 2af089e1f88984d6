package dev.ozworker.config;

/** When a task's images are pulled, by the Docker engine or the kubelet; named as in Kubernetes. */
public enum ImagePullPolicy {
  /** Pull before every task, as the reference's Docker backend does. */
  Always,
  /** Pull only when the engine or node does not have the image. */
  IfNotPresent,
  /** Never pull; a missing image fails the task with {@code image_pull}. */
  Never
}
