package dev.ozworker.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

/**
 * Gathers the figures of every benchmark report of a run into one table on stdout and one JSON
 * file: {@code java … BenchTable REPORT_DIR OUTPUT_JSON} (what {@code bench/run} does last).
 */
public final class BenchTable {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String FORMAT = "%-34s %-7s %9s %9s %9s | %9s %7s | %9s %7s | %-22s %s%n";

  private BenchTable() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: BenchTable REPORT_DIR OUTPUT_JSON");
      System.exit(2);
    }
    Path reports = Path.of(args[0]);
    List<Path> files;
    try (Stream<Path> listed = Files.list(reports)) {
      files = listed.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("finished", Instant.now().toString());
    out.put("java", Runtime.version().toString());
    out.put("processors", Runtime.getRuntime().availableProcessors());
    out.put("load_average_1m", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    out.put("commit", System.getProperty("bench.commit", ""));
    ArrayNode figures = out.putArray("figures");
    ObjectNode facts = out.putObject("facts");
    System.out.printf(
        FORMAT,
        "figure",
        "unit",
        "min",
        "median",
        "p99",
        "floor",
        "×floor",
        "reference",
        "ours/ref",
        "target",
        "");
    for (Path file : files) {
      JsonNode report = JSON.readTree(file.toFile());
      String benchmark = report.path("benchmark").asText();
      for (JsonNode figure : report.path("figures")) {
        ObjectNode copy = ((ObjectNode) figure).deepCopy();
        copy.put("benchmark", benchmark);
        copy.put("size", report.path("size").asText());
        figures.add(copy);
        System.out.print(row(figure));
      }
      if (!report.path("facts").isEmpty()) {
        facts.set(benchmark, report.path("facts"));
      }
    }
    Path output = Path.of(args[1]);
    if (output.getParent() != null) {
      Files.createDirectories(output.getParent());
    }
    JSON.writeValue(output.toFile(), out);
    long missed =
        figures
            .valueStream()
            .filter(f -> f.path("met").isBoolean() && !f.path("met").asBoolean())
            .count();
    System.out.printf(
        "%d figures, %d targets missed; written to %s%n", figures.size(), missed, output);
  }

  /** One table line for a figure node (as {@link BenchReport} writes it). */
  static String row(JsonNode figure) {
    JsonNode ours = figure.path("ours");
    JsonNode floor = figure.path("floor");
    JsonNode reference = figure.path("reference");
    JsonNode target = figure.path("target");
    String met =
        figure.path("met").isBoolean() ? (figure.path("met").asBoolean() ? "met" : "MISSED") : "";
    return String.format(
        FORMAT,
        figure.path("name").asText(),
        figure.path("unit").asText(),
        number(ours.path("min")),
        number(ours.path("median")),
        number(ours.path("p99")),
        number(floor.path("median")),
        ratio(figure, "ratio_to_floor"),
        number(reference.path("median")),
        ratio(figure, "ratio_to_reference"),
        figure.path("target_text").asText(""),
        met);
  }

  private static String ratio(JsonNode figure, String key) {
    JsonNode value = figure.path(key);
    return value.isNumber() ? String.format("%.2f", value.asDouble()) : "-";
  }

  private static String number(JsonNode value) {
    if (!value.isNumber()) {
      return "-";
    }
    double v = value.asDouble();
    return Math.abs(v) >= 100 ? String.format("%.0f", v) : String.format("%.1f", v);
  }
}
