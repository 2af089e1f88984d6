package dev.ozworker.fault;

import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Counts the JVM's platform threads by group (name without its numbers), so that a test can tell a
 * pool filling up to its size from threads left behind.
 */
final class FaultThreads {
  /**
   * Pools that start threads lazily up to a size, with how far each may grow: the operator
   * framework's fixed workflow pool (50 by default, one new thread per task until full), the cached
   * pools of the JDK (process exits, HTTP, the common pool), of the Direct backend (a thread per
   * running task, ended after a minute idle) and of the Kubernetes client (a thread per request in
   * flight), and the test's own waits. Growth within these is filling up, not a leak: a leak per
   * frame or per reconnect would pass these caps many times over. Any other group of threads must
   * end where it began.
   */
  static final Map<String, Long> FILLING_POOLS =
      Map.of(
          "pool-#-thread-#", 50L,
          "process reaper", 4L,
          "HttpClient-#-Worker-#", 4L,
          // the JDK HTTP client's cached executor: a thread per request in flight, and the intake
          // and the result reporter each have up to 16 writes in flight (seen: 5 under load)
          "JdkHttpClientFactory-#-pool-#-thread-#", 36L,
          // the Kubernetes client's daemon pools are named after the class they serve, which for
          // an anonymous class is empty: "-<hash>-pool-<n>-thread-<m>"
          "-#-pool-#-thread-#", 4L,
          "ForkJoinPool.commonPool-worker-#", 4L,
          "direct-backend-#", 8L,
          "awaitility-thread", 2L);

  private FaultThreads() {}

  /** Threads beyond what the filling pools may add, summed over the groups that grew. */
  static long leaks(Map<String, Long> grown) {
    return grown.entrySet().stream()
        .mapToLong(e -> Math.max(0, e.getValue() - FILLING_POOLS.getOrDefault(e.getKey(), 0L)))
        .sum();
  }

  /** Live platform threads by name with the numbers taken out, to see which group grew. */
  static Map<String, Long> threadGroups() {
    return Thread.getAllStackTraces().keySet().stream()
        .collect(
            Collectors.groupingBy(
                t -> t.getName().replaceAll("[0-9]+", "#"), TreeMap::new, Collectors.counting()));
  }

  static Map<String, Long> grown(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> grown = new TreeMap<>();
    after.forEach(
        (group, count) -> {
          long was = before.getOrDefault(group, 0L);
          if (count > was) {
            grown.put(group, count - was);
          }
        });
    return grown;
  }

  /** The platform threads once two counts half a second apart agree (10 s at most). */
  static int settledThreadCount() {
    var threads = ManagementFactory.getThreadMXBean();
    int[] last = {threads.getThreadCount()};
    try {
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                int now = threads.getThreadCount();
                boolean settled = now == last[0];
                last[0] = now;
                return settled;
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // not settled: the caller compares the count it gets and reports the groups that grew
    }
    return threads.getThreadCount();
  }
}
