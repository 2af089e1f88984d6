package dev.ozworker.config;

import java.util.ArrayList;
import java.util.Arrays;
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
    if (settings.stream().anyMatch(other -> !sameFlag(other, setting))) {
      throw new IllegalStateException(
          String.join(", ", settings.stream().map(Setting::path).toList())
              + " declare the same flag differently: declare it alike");
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
    String description =
        setting.isSwitch()
            ? "Turns "
                + setting.path()
                + ((Boolean) setting.byDefault().orElseThrow() ? " off: " : " on: ")
                + plain(key.help())
            : capitalized(plain(key.help()));
    return new FlagSpec(
        List.of(key.flag()),
        key.label().isEmpty() ? setting.type().label() : key.label(),
        (notes.isEmpty() ? description : description + " (" + String.join("; ", notes) + ")") + ".",
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
        // Empty means the default, as in the reference worker (--backend "").
        text -> text.isEmpty() ? Optional.empty() : choice.kinds().commandLineProblem(text));
  }

  /** Whether two keys declare their flag alike, so that one option serves both. */
  private static boolean sameFlag(Setting one, Setting other) {
    return one.type().equals(other.type())
        && one.key().help().equals(other.key().help())
        && one.key().label().equals(other.key().label())
        && Arrays.equals(one.key().flag(), other.key().flag());
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
