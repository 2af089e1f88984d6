package dev.ozworker.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command-line flags as given, before validation. Flags win over the config file.
 *
 * @param configFile the config file to read, if any
 * @param given the text of every flag given ({@link Schema#flags()}), by its long name: one text
 *     per occurrence, none for a switch
 */
public record Flags(Optional<Path> configFile, Map<String, List<String>> given) {
  public Flags {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    given.forEach((flag, texts) -> copy.put(flag, List.copyOf(texts)));
    given = Collections.unmodifiableMap(copy);
  }

  /** No flags at all. */
  public static Flags none() {
    return new Flags(Optional.empty(), Map.of());
  }

  /** Flags given once each, by long name, e.g. {@code --worker-id} to {@code w1}. */
  public static Flags of(Map<String, String> given) {
    Map<String, List<String>> texts = new LinkedHashMap<>();
    given.forEach((flag, text) -> texts.put(flag, List.of(text)));
    return new Flags(Optional.empty(), texts);
  }
}
