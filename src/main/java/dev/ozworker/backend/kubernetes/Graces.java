package dev.ozworker.backend.kubernetes;

import java.time.Duration;

/**
 * How long a Pod may be stuck on something the kubelet retries before its run fails: the kubelet
 * mounts a volume or creates a container once a Secret or ConfigMap made a moment late, or not yet
 * synced to the node, is there.
 *
 * @param mount how long a Pod may fail to mount a volume ({@code FailedMount})
 * @param create how long the kubelet may fail to create a container ({@code
 *     CreateContainerConfigError}, {@code CreateContainerError})
 */
record Graces(Duration mount, Duration create) {
  /** Two minutes for a mount, as the reference waits; a minute to create a container. */
  static final Graces DEFAULT = new Graces(Duration.ofMinutes(2), Duration.ofMinutes(1));
}
