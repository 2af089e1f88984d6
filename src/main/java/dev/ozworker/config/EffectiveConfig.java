package dev.ozworker.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configuration in the declared keys' names and order, every default filled in, as {@code
 * check-config} prints it. Secrets stay hidden: the API key shows only that it is set, environment
 * variables only their names.
 */
public final class EffectiveConfig {
  private static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  private EffectiveConfig() {}

  public static String toYaml(WorkerConfig config) {
    return toYaml(Schema.WORKER, config);
  }

  /** {@code record}, a record of {@code block}, as {@code check-config} prints it. */
  static String toYaml(Block block, Object record) {
    try {
      return YAML.writeValueAsString(shown(block, record));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> shown(Block block, Object record) {
    Map<String, Object> keys = new LinkedHashMap<>();
    for (Member member : block.members()) {
      Object value = Block.valueOf(member, record);
      keys.put(
          member.name(),
          switch (member) {
            case Setting setting -> setting.show(value);
            case Nested nested -> shown(nested.block(), value);
            case BackendChoice choice -> {
              BackendKind kind = ((BackendConfig) value).kind();
              yield Map.of(kind.configName(), shown(choice.block(kind), value));
            }
          });
    }
    return keys;
  }
}
