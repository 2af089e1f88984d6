package dev.ozworker.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes as the API server counted them: its {@code apiserver_request_total} counter, read from
 * {@code /metrics} before and after, summed over the write verbs for the resources a task touches.
 * What the worker believes it sent does not count; what reached the server does, retries and
 * conflicts included. Other clients of the same server (the cluster's own controllers) write leases
 * and nodes, not these resources, so they stay out of the count.
 */
final class ApiServerWrites {
  static final Set<String> RESOURCES = Set.of("agenttasks", "secrets", "events", "pods");
  private static final Set<String> WRITE_VERBS =
      Set.of("POST", "PUT", "PATCH", "DELETE", "APPLY", "CREATE", "UPDATE");
  private static final Pattern LINE =
      Pattern.compile("^apiserver_request_total\\{(.*)\\} ([0-9.e+]+)$", Pattern.MULTILINE);
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private final Map<String, Double> counts;

  private ApiServerWrites(Map<String, Double> counts) {
    this.counts = counts;
  }

  /** The counters now, one per resource/subresource and verb. */
  static ApiServerWrites read(KubernetesClient client) {
    return parse(client.raw("/metrics"));
  }

  static ApiServerWrites parse(String metrics) {
    Map<String, Double> counts = new TreeMap<>();
    Matcher line = LINE.matcher(metrics);
    while (line.find()) {
      Map<String, String> labels = new TreeMap<>();
      Matcher label = LABEL.matcher(line.group(1));
      while (label.find()) {
        labels.put(label.group(1), label.group(2));
      }
      String resource = labels.getOrDefault("resource", "");
      if (!RESOURCES.contains(resource) || !WRITE_VERBS.contains(labels.get("verb"))) {
        continue;
      }
      String subresource = labels.getOrDefault("subresource", "");
      String code = labels.getOrDefault("code", "");
      // Refusals (a conflict, say) cost the server a request too: counted, and shown apart.
      String key =
          resource
              + (subresource.isEmpty() ? "" : "/" + subresource)
              + " "
              + labels.get("verb")
              + (code.startsWith("2") ? "" : " " + code);
      counts.merge(key, Double.parseDouble(line.group(2)), Double::sum);
    }
    return new ApiServerWrites(counts);
  }

  /** Writes counted since {@code before}, by resource and verb. */
  Map<String, Double> since(ApiServerWrites before) {
    Map<String, Double> delta = new TreeMap<>();
    counts.forEach(
        (key, value) -> {
          double added = value - before.counts.getOrDefault(key, 0.0);
          if (added > 0) {
            delta.put(key, added);
          }
        });
    return delta;
  }

  static double total(Map<String, Double> delta) {
    return delta.values().stream().mapToDouble(Double::doubleValue).sum();
  }
}
