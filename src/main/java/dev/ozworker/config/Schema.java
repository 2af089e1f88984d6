package dev.ozworker.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The configuration's keys as the records declare them ({@link Key}), from {@link WorkerConfig}
 * down through every backend's block. The file's reading, the flags, the resolution and {@code
 * check-config}'s output walk this tree.
 */
public final class Schema {
  static final Block WORKER = Block.of(WorkerConfig.class, "");

  private Schema() {}

  /**
   * The worker's flags, walked once: a start asks for them about six times (the command line's
   * options, each reading of what was given, each resolution), and a walk of the keys in a JVM that
   * has only just started costs milliseconds each time.
   */
  private static final class WorkerFlags {
    static final List<FlagSpec> FLAGS = declaredFlags(WORKER);
  }

  /** The command-line flags the keys declare, in the order of the keys. */
  public static List<FlagSpec> flags() {
    return WorkerFlags.FLAGS;
  }

  /** The flags the keys of {@code root} and below declare. */
  static List<FlagSpec> flags(Block root) {
    return root == WORKER ? WorkerFlags.FLAGS : declaredFlags(root);
  }

  private static List<FlagSpec> declaredFlags(Block root) {
    Map<String, List<Member>> declaring = new LinkedHashMap<>();
    members(root)
        .forEach(
            member ->
                flagOf(member)
                    .ifPresent(
                        flag ->
                            declaring
                                .computeIfAbsent(flag, name -> new ArrayList<>())
                                .add(member)));
    return declaring.values().stream().map(members -> flag(root, members)).toList();
  }

  private static Optional<String> flagOf(Member member) {
    return switch (member) {
      case Setting setting -> setting.flag();
      case BackendChoice choice -> Optional.of(choice.flag());
      case Nested nested -> Optional.empty();
    };
  }

  /** The flag {@code members} declare: one key, or the same key of several backends' blocks. */
  private static FlagSpec flag(Block root, List<Member> members) {
    if (members.getFirst() instanceof BackendChoice choice) {
      return FlagSpec.of(choice);
    }
    List<Setting> settings = members.stream().map(Setting.class::cast).toList();
    return FlagSpec.of(
        settings, settings.stream().flatMap(setting -> backendOf(root, setting).stream()).toList());
  }

  /** The key with a value at {@code path} in {@code root}. */
  static Setting setting(Block root, String path) {
    return root.settings()
        .filter(setting -> setting.path().equals(path))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException(path + " is not a key"));
  }

  /** The block of {@code type}, a configuration record, with nothing given: its defaults. */
  static <T> T defaults(Class<T> type) {
    Block block =
        blocks(WORKER)
            .filter(candidate -> candidate.type() == type)
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException(type + " is no configuration block"));
    Resolution nothingGiven =
        new Resolution(WORKER, ConfigFile.EMPTY, Flags.none(), Map.of(), Path.of("/"));
    return type.cast(
        nothingGiven
            .block(block)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        type.getSimpleName()
                            + " has no defaults: "
                            + String.join("; ", nothingGiven.problems()))));
  }

  /**
   * How a user gives {@code setting}, e.g. "pass --worker-id, set worker_id in the config file, or
   * set POD_NAME".
   */
  static String waysToGive(Setting setting) {
    List<String> ways = new ArrayList<>();
    setting.flag().ifPresent(flag -> ways.add("pass " + flag));
    if (setting.key().inFile()) {
      ways.add("set " + setting.path() + " in the config file");
    }
    if (!setting.key().env().isEmpty()) {
      ways.add("set " + setting.key().env());
    }
    return ways.size() < 3
        ? String.join(" or ", ways)
        : String.join(", ", ways.subList(0, ways.size() - 1)) + ", or " + ways.getLast();
  }

  /** The backend a setting of {@code root} belongs to, if it belongs to one. */
  static Optional<BackendKind> backendOf(Block root, Setting setting) {
    return members(root)
        .flatMap(
            member ->
                member instanceof BackendChoice choice
                    ? choice.blocks().entrySet().stream()
                        .filter(entry -> entry.getValue().settings().anyMatch(setting::equals))
                        .map(Map.Entry::getKey)
                    : Stream.empty())
        .findFirst();
  }

  /** Every member of {@code block} and of the blocks below it, depth first. */
  static Stream<Member> members(Block block) {
    return block.members().stream()
        .flatMap(
            member ->
                Stream.concat(
                    Stream.of(member),
                    switch (member) {
                      case Setting setting -> Stream.<Member>empty();
                      case Nested nested -> members(nested.block());
                      case BackendChoice choice ->
                          choice.blocks().values().stream().flatMap(Schema::members);
                    }));
  }

  private static Stream<Block> blocks(Block block) {
    return Stream.concat(
        Stream.of(block),
        block.members().stream()
            .flatMap(
                member ->
                    switch (member) {
                      case Setting setting -> Stream.empty();
                      case Nested nested -> blocks(nested.block());
                      case BackendChoice choice ->
                          choice.blocks().values().stream().flatMap(Schema::blocks);
                    }));
  }
}
