package dev.ozworker.fault;

import dev.ozworker.oz.fake.FakeOzServer;
import dev.ozworker.oz.fake.FakeOzServer.Frame;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/** The results a worker sent the fake Oz server, and whether one is the result a task was due. */
final class FaultResults {
  private FaultResults() {}

  /** The terminal results about {@code id}: {@code task_completed} and {@code task_failed}. */
  static List<Frame> results(FakeOzServer oz, String id) {
    return Stream.concat(
            oz.framesAbout(id, "task_completed").stream(),
            oz.framesAbout(id, "task_failed").stream())
        .toList();
  }

  static long resultsFor(FakeOzServer oz, Collection<String> ids) {
    return ids.stream().filter(id -> !results(oz, id).isEmpty()).count();
  }

  static boolean hasExit(Frame result, int exit) {
    if (exit == FaultOutOfOrder.CANCELLED) {
      return result.type().equals("task_completed")
          && result.data().path("task_state").asText().equals("CANCELLED");
    }
    return exit == 0
        ? result.type().equals("task_completed") && !result.data().has("task_state")
        : result.type().equals("task_failed")
            && result.data().path("exit_code").asInt() == exit
            && result.data().path("failure_reason").asText().equals("agent_invocation");
  }
}
