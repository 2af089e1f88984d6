package dev.ozworker.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a config file says, read strictly by the declared keys: unknown keys, wrong types, values
 * that fail their checks and two backend blocks are errors. Keys the file leaves out are absent
 * here; {@link WorkerConfigResolver} applies the other sources and the defaults.
 *
 * @param values what the file gives, by key path (e.g. {@code backend.docker.volumes}); the
 *     backend's path holds the {@link BackendKind} of the block the file has
 */
public record ConfigFile(Map<String, Given> values) {
  public static final ConfigFile EMPTY = new ConfigFile(Map.of());

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

  /** Keys of no block that people write anyway. */
  private static final Map<String, String> MISTAKEN =
      Map.of("backend_type", "the backend is chosen by its block under 'backend' or by --backend");

  public ConfigFile {
    values = Map.copyOf(values);
  }

  /**
   * Reads the file at {@code path}.
   *
   * @param env the worker's environment, for {@code environment} entries without a value
   */
  public static ConfigFile read(Path path, Map<String, String> env) throws ConfigException {
    String text;
    try {
      text = Files.readString(path);
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read config file "
              + path
              + " ("
              + e.getClass().getSimpleName()
              + "): check"
              + " --config-file");
    }
    return parse(text, path.toString(), env);
  }

  /** Parses {@code text}; {@code source} names the file in messages. */
  public static ConfigFile parse(String text, String source, Map<String, String> env)
      throws ConfigException {
    return parse(Schema.WORKER, text, source, env);
  }

  /** Parses {@code text} by the keys of {@code block}, the top level of the file. */
  static ConfigFile parse(Block block, String text, String source, Map<String, String> env)
      throws ConfigException {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (JacksonException e) {
      throw new ConfigException(
          source + " is not valid YAML: " + e.getOriginalMessage() + locationOf(e));
    } catch (IOException e) {
      throw new ConfigException(source + " cannot be read: " + e.getMessage());
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return EMPTY;
    }
    var reading = new ValueType.Reading(env, Path.of("/"), new ArrayList<>());
    Map<String, Given> values = new LinkedHashMap<>();
    YamlMapping.asMapping("", root, reading.problems())
        .ifPresent(top -> readBlock(block, top, values, reading));
    if (!reading.problems().isEmpty()) {
      throw new ConfigException(reading.problems().stream().map(p -> source + ": " + p).toList());
    }
    return new ConfigFile(values);
  }

  private static void readBlock(
      Block block, YamlMapping mapping, Map<String, Given> values, ValueType.Reading reading) {
    Map<String, String> hints = new LinkedHashMap<>(block.path().isEmpty() ? MISTAKEN : Map.of());
    for (Member member : block.members()) {
      if (!member.key().inFile()) {
        hints.put(member.name(), notInFile((Setting) member));
        continue;
      }
      switch (member) {
        case Setting setting ->
            mapping
                .take(setting.name())
                .flatMap(node -> setting.read(node, reading))
                .ifPresent(given -> values.put(setting.path(), given));
        case Nested nested ->
            mapping
                .mapping(nested.name())
                .ifPresent(child -> readBlock(nested.block(), child, values, reading));
        case BackendChoice choice ->
            mapping
                .mapping(choice.name())
                .ifPresent(child -> readBackend(choice, child, values, reading));
      }
    }
    mapping.rejectUnknownKeys(hints);
  }

  private static void readBackend(
      BackendChoice choice,
      YamlMapping mapping,
      Map<String, Given> values,
      ValueType.Reading reading) {
    List<BackendKind> present = new ArrayList<>();
    choice
        .blocks()
        .forEach(
            (kind, block) ->
                mapping
                    .mapping(kind.configName())
                    .ifPresent(
                        child -> {
                          present.add(kind);
                          readBlock(block, child, values, reading);
                        }));
    mapping.rejectUnknownKeys(Map.of());
    if (present.size() > 1) {
      reading.problem(
          choice.path()
              + " has "
              + (present.size() == 2
                  ? "both a " + present.get(0) + " and a " + present.get(1) + " block"
                  : "blocks " + Scalars.or(present.stream().map(BackendKind::configName).toList()))
              + ": keep only the block of the backend this worker runs");
    }
    present.stream()
        .findFirst()
        .ifPresent(kind -> values.put(choice.path(), new Given(kind, choice.path() + "." + kind)));
  }

  private static String notInFile(Setting setting) {
    return setting.noun() + " is not read from the file: " + Schema.waysToGive(setting);
  }

  /** What the file gives the key at {@code path}. */
  public Optional<Object> value(String path) {
    return Optional.ofNullable(values.get(path)).map(Given::value);
  }

  private static String locationOf(JacksonException e) {
    var location = e.getLocation();
    return location == null || location.getLineNr() < 1
        ? ""
        : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }
}
