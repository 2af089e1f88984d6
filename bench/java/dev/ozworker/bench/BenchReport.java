package dev.ozworker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Figures of one benchmark: {@link Figure}s (ours, the floor, the reference, the target), latency
 * percentiles of named measurements, and free-form facts. Prints a line per entry and writes {@code
 * target/bench/<name>.json} ({@code target/bench-smoke/} in a smoke run), which {@link BenchTable}
 * gathers into one table.
 */
public final class BenchReport {
  static final Path DIRECTORY = Path.of("target", BenchSize.smoke() ? "bench-smoke" : "bench");

  private final String name;
  private final Map<String, ObjectNode> measurements = new LinkedHashMap<>();
  private final ObjectNode facts;
  private final List<Figure> figures = new ArrayList<>();
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

  /** Adds a figure measured against its floor, the reference and its target. */
  public BenchReport figure(Figure figure) {
    figures.add(figure);
    System.out.print(name + " " + BenchTable.row(node(figure)));
    return this;
  }

  /** Adds a single fact, e.g. bytes allocated per operation. */
  public BenchReport fact(String key, double value) {
    facts.put(key, value);
    System.out.printf("%s %s: %.1f%n", name, key, value);
    return this;
  }

  public BenchReport fact(String key, String value) {
    facts.put(key, value);
    System.out.printf("%s %s: %s%n", name, key, value);
    return this;
  }

  /** Writes the report; returns its path. */
  public Path write() throws IOException {
    ObjectNode root = json.createObjectNode();
    root.put("benchmark", name);
    root.put("finished", Instant.now().toString());
    root.put("java", Runtime.version().toString());
    root.put("processors", Runtime.getRuntime().availableProcessors());
    root.put("size", BenchSize.smoke() ? "smoke" : "full");
    var figureNodes = root.putArray("figures");
    figures.forEach(figure -> figureNodes.add(node(figure)));
    measurements.forEach(root.putObject("latency")::set);
    root.set("facts", facts);
    Files.createDirectories(DIRECTORY);
    Path file = DIRECTORY.resolve(name + ".json");
    json.writeValue(file.toFile(), root);
    System.out.println(name + " report: " + file);
    return file;
  }

  private ObjectNode node(Figure figure) {
    ObjectNode node = json.valueToTree(figure);
    ratio(node, "ratio_to_floor", figure.ratioToFloor());
    ratio(node, "ratio_to_reference", figure.ratioToReference());
    if (figure.met() != null) {
      node.put("met", figure.met());
      node.put("target_text", figure.target().text());
    }
    return node;
  }

  // JSON has no NaN: a ratio without a floor or reference is null.
  private static void ratio(ObjectNode node, String key, double value) {
    if (Double.isNaN(value)) {
      node.putNull(key);
    } else {
      node.put(key, Math.round(value * 1000) / 1000.0);
    }
  }

  private static long percentile(long[] sorted, int percent) {
    int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static double micros(double nanos) {
    return Math.round(nanos / 100.0) / 10.0;
  }
}
