package dev.ozworker.backend.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the namespace's {@code FailedMount} Events (a field selector: no other Event is sent),
 * which tell of a Pod whose volume cannot be mounted: the Pod's own status does not change then.
 * The kubelet retries, and a Secret or ConfigMap made a moment late is mounted then, so a failure
 * counts only once it has lasted the grace. Without the right to watch Events the worker still runs
 * tasks, and such a Pod waits for its task's timeout.
 */
final class MountFailureWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MountFailureWatch.class);

  private final Optional<SharedIndexInformer<Event>> events;
  private final Duration grace;

  private MountFailureWatch(Optional<SharedIndexInformer<Event>> events, Duration grace) {
    this.events = events;
    this.grace = grace;
  }

  /**
   * @param podFailed hears the name of a Pod whose mount failed, each time an Event says so
   */
  static MountFailureWatch start(
      KubernetesClient client,
      String namespace,
      Duration grace,
      Duration resync,
      Consumer<String> podFailed) {
    try {
      return new MountFailureWatch(
          Optional.of(
              client
                  .v1()
                  .events()
                  .inNamespace(namespace)
                  .withField("reason", "FailedMount")
                  .inform(handler(podFailed), resync.toMillis())),
          grace);
    } catch (KubernetesClientException e) {
      LOG.warn(
          "cannot watch FailedMount Events in namespace {} ({}): a task Pod whose volume cannot be"
              + " mounted waits for its timeout; grant the worker events list and watch there",
          namespace,
          PodErrors.describe(e));
      return new MountFailureWatch(Optional.empty(), grace);
    }
  }

  /**
   * The Pod's mount failures, once they have lasted the grace.
   *
   * @param recheckIn hears how long until they will have, when they have not yet
   */
  List<Event> lasting(Pod pod, Instant now, Consumer<Duration> recheckIn) {
    if (events.isEmpty() || TaskPodState.taskStarted(pod)) {
      return List.of();
    }
    List<Event> failed =
        events.get().getStore().list().stream()
            .filter(event -> event.getInvolvedObject() != null)
            .filter(
                event -> pod.getMetadata().getName().equals(event.getInvolvedObject().getName()))
            .filter(
                event ->
                    Objects.equals(pod.getMetadata().getUid(), event.getInvolvedObject().getUid()))
            .toList();
    Optional<Instant> since =
        failed.stream().map(MountFailures::firstSeen).min(Comparator.naturalOrder());
    if (since.isEmpty()) {
      return List.of();
    }
    Duration lasted = Duration.between(since.get(), now);
    if (lasted.compareTo(grace) >= 0) {
      return failed;
    }
    recheckIn.accept(grace.minus(lasted));
    return List.of();
  }

  @Override
  public void close() {
    events.ifPresent(SharedIndexInformer::stop);
  }

  private static ResourceEventHandler<Event> handler(Consumer<String> podFailed) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Event event) {
        onUpdate(null, event);
      }

      @Override
      public void onUpdate(Event before, Event event) {
        if (event.getInvolvedObject() != null && event.getInvolvedObject().getName() != null) {
          podFailed.accept(event.getInvolvedObject().getName());
        }
      }

      @Override
      public void onDelete(Event event, boolean finalStateUnknown) {}
    };
  }
}
