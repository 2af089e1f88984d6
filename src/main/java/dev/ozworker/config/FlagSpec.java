package dev.ozworker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A command-line flag as the keys declare it, for the command line to offer.
 *
 * @param names short name first, long name last
 * @param isSwitch a flag without a value
 * @param repeatable a flag that may be given more than once, each adding a value
 * @param usageProblem what the command line rejects at once as a usage error, given the text
 */
public record FlagSpec(
    List<String> names,
    String label,
    String description,
    boolean isSwitch,
    boolean repeatable,
    Function<String, Optional<String>> usageProblem) {

  /** The flag {@code settings} declare: usually one key, or the same key of several backends. */
  static FlagSpec of(List<Setting> settings, List<BackendKind> backends) {
    Setting setting = settings.getFirst();
    Key key = setting.key();
    List<String> notes = new ArrayList<>();
    if (key.inFile()) {
      notes.add("config: " + String.join(" or ", settings.stream().map(Setting::path).toList()));
    }
    if (!key.env().isEmpty()) {
      notes.add("else env " + key.env());
    }
    if (!setting.isSwitch()) {
      setting
          .defaultText()
          .ifPresent(
              text ->
                  notes.add(
                      "default: "
                          + text
                          + (key.zero().isEmpty() || !isZero(text) ? "" : " = " + key.zero())));
    }
    if (!backends.isEmpty() && backends.size() < BackendKind.values().length) {
      notes.add(Scalars.or(backends.stream().map(BackendKind::configName).toList()) + " only");
    }
    String help = plain(key.help());
    String description =
        setting.isSwitch()
            ? "Sets "
                + setting.path()
                + " to "
                + !(Boolean) setting.byDefault().orElseThrow()
                + " ("
                + help
                + ")."
            : capitalized(help) + ".";
    return new FlagSpec(
        List.of(key.flag()),
        key.label().isEmpty() ? setting.type().label() : key.label(),
        notes.isEmpty() ? description : description + " (" + String.join("; ", notes) + ")",
        setting.isSwitch(),
        setting.type().repeatable(),
        setting.type()::commandLineProblem);
  }

  /** The flag that chooses the backend. */
  static FlagSpec of(BackendChoice choice) {
    return new FlagSpec(
        List.of(choice.key().flag()),
        choice.kinds().label(),
        capitalized(plain(choice.key().help()))
            + " (config: the block under "
            + choice.path()
            + "; default: "
            + choice.byDefault()
            + ").",
        false,
        false,
        choice.kinds()::commandLineProblem);
  }

  private static boolean isZero(String text) {
    return text.equals("0") || text.equals("0s");
  }

  private static String plain(String markdown) {
    return markdown.replace("`", "");
  }

  private static String capitalized(String text) {
    return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
  }
}
