package dev.ozworker.fault;

import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The delivery guarantee of results (docs/protocol.md, "Results"; ADR 0009), checked at Oz: a
 * task's result may reach Oz more than once only when the connection that carried a copy was lost
 * before the worker recorded Oz's confirmation (so the next copy comes on a later connection), or
 * when Oz assigned the finished task again in between; every copy is identical. Conflicting
 * results, and a copy on the same connection with no new assignment between, are violations; the
 * allowed copies are counted.
 *
 * @param redelivered copies beyond the first that the guarantee allows
 * @param violations each copy it does not allow, named
 */
record DeliveryCheck(int redelivered, List<String> violations) {

  static DeliveryCheck of(FakeOzServer oz, Collection<String> taskIds) {
    int redelivered = 0;
    List<String> violations = new ArrayList<>();
    for (String taskId : taskIds) {
      List<Frame> copies = FaultResults.results(oz, taskId).stream().sorted(byArrival()).toList();
      if (copies.stream().map(frame -> frame.data().toString()).distinct().count() > 1) {
        violations.add(
            taskId
                + ": conflicting results "
                + copies.stream().map(Frame::text).distinct().toList());
        continue;
      }
      for (int i = 1; i < copies.size(); i++) {
        Frame before = copies.get(i - 1);
        Frame again = copies.get(i);
        boolean lostConnection = again.connection() > before.connection();
        boolean assignedAgain =
            oz.assignedAt(taskId).stream()
                .anyMatch(at -> at > before.receivedNanos() && at < again.receivedNanos());
        if (lostConnection || assignedAgain) {
          redelivered++;
        } else {
          violations.add(
              taskId
                  + ": result sent again on connection "
                  + again.connection()
                  + ", which had carried it already, and not assigned again in between");
        }
      }
    }
    return new DeliveryCheck(redelivered, List.copyOf(violations));
  }

  private static java.util.Comparator<Frame> byArrival() {
    return java.util.Comparator.comparingLong(Frame::receivedNanos);
  }
}
