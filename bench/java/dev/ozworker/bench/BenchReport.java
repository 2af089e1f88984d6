package dev.ozworker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Figures of one benchmark: latency percentiles of named measurements, plus free-form facts. Prints
 * a line per measurement and writes {@code target/bench/<name>.json}.
 */
public final class BenchReport {
  static final Path DIRECTORY = Path.of("target", "bench");

  private final String name;
  private final Map<String, ObjectNode> measurements = new LinkedHashMap<>();
  private final ObjectNode facts;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public BenchReport(String name) {
    this.name = name;
    this.facts = json.createObjectNode();
  }

  /** Adds the percentiles of {@code nanos} (one sample per operation) as {@code measurement}. */
  public BenchReport latency(String measurement, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    ObjectNode node = json.createObjectNode();
    node.put("samples", sorted.length);
    node.put("p50_us", micros(percentile(sorted, 50)));
    node.put("p90_us", micros(percentile(sorted, 90)));
    node.put("p99_us", micros(percentile(sorted, 99)));
    node.put("max_us", micros(sorted[sorted.length - 1]));
    node.put("mean_us", micros(Arrays.stream(sorted).sum() / (double) sorted.length));
    measurements.put(measurement, node);
    System.out.printf(
        "%s %s: p50 %.1f µs, p90 %.1f µs, p99 %.1f µs, max %.1f µs over %d%n",
        name,
        measurement,
        node.get("p50_us").asDouble(),
        node.get("p90_us").asDouble(),
        node.get("p99_us").asDouble(),
        node.get("max_us").asDouble(),
        sorted.length);
    return this;
  }

  /** Adds a single figure, e.g. bytes allocated per operation. */
  public BenchReport fact(String key, double value) {
    facts.put(key, value);
    System.out.printf("%s %s: %.1f%n", name, key, value);
    return this;
  }

  /** Writes the report; returns its path. */
  public Path write() throws IOException {
    ObjectNode root = json.createObjectNode();
    root.put("benchmark", name);
    root.put("finished", Instant.now().toString());
    root.put("java", Runtime.version().toString());
    root.put("processors", Runtime.getRuntime().availableProcessors());
    measurements.forEach(root.putObject("latency")::set);
    root.set("facts", facts);
    Files.createDirectories(DIRECTORY);
    Path file = DIRECTORY.resolve(name + ".json");
    json.writeValue(file.toFile(), root);
    System.out.println(name + " report: " + file);
    return file;
  }

  private static long percentile(long[] sorted, int percent) {
    int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static double micros(double nanos) {
    return Math.round(nanos / 100.0) / 10.0;
  }
}
