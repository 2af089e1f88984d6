package dev.ozworker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The table of configuration keys in docs/configuration.md, rendered from their declarations
 * ({@link Key}).
 */
final class KeyTable {
  private KeyTable() {}

  static String render() {
    List<String> lines = new ArrayList<>();
    lines.add(
        "Keys marked \\* are ours: the Go reference worker does not have them. A key without a"
            + " file key (—) is given by its flag or variable only.");
    lines.add("");
    lines.add("| key | flag | env | default | meaning |");
    lines.add("|---|---|---|---|---|");
    Schema.members(Schema.WORKER).forEach(member -> lines.add(row(member)));
    return String.join("\n", lines) + "\n";
  }

  private static String row(Member member) {
    Key key = member.key();
    String name =
        key.inFile()
            ? code(member.path()) + (key.ours() ? " \\*" : "")
            : "—" + (key.ours() ? " \\*" : "");
    String flags = String.join(", ", List.of(key.flag()).stream().map(KeyTable::code).toList());
    String env = key.env().isEmpty() ? "" : code(key.env());
    return "| "
        + String.join(
            " | ",
            name,
            flags,
            env,
            byDefault(member),
            escaped(key.help() + zeroMeaning(member).orElse("")))
        + " |";
  }

  private static String byDefault(Member member) {
    return switch (member) {
      case BackendChoice choice -> code(choice.byDefault().configName());
      case Nested nested -> "";
      case Setting setting -> {
        if (setting.defaultText().isPresent()) {
          String text = setting.defaultText().get();
          yield code(text)
              + (isZero(text) && !setting.key().zero().isEmpty()
                  ? " (" + setting.key().zero() + ")"
                  : "");
        }
        if (setting.optional()) {
          yield escaped(setting.noneText());
        }
        yield setting
            .type()
            .whenAbsent()
            .map(empty -> code(empty instanceof List<?> ? "[]" : "{}"))
            .orElse("required");
      }
    };
  }

  /** What zero means, unless the default already says it. */
  private static Optional<String> zeroMeaning(Member member) {
    if (member instanceof Setting setting
        && !setting.key().zero().isEmpty()
        && !setting.defaultText().map(KeyTable::isZero).orElse(false)) {
      String zero = setting.type() == (Object) Scalars.DURATION ? "0s" : "0";
      return Optional.of("; " + code(zero) + ": " + setting.key().zero());
    }
    return Optional.empty();
  }

  private static boolean isZero(String text) {
    return text.equals("0") || text.equals("0s");
  }

  private static String code(String text) {
    return "`" + text + "`";
  }

  private static String escaped(String markdown) {
    return markdown.replace("|", "\\|");
  }
}
