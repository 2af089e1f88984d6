package dev.ozworker.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The one declaration of a configuration key, on the record component that holds its value. The
 * config file's reading, the command line's flags, the precedence, {@code check-config}'s output
 * and the key table of docs/configuration.md all come from these declarations ({@link Schema});
 * adding a key is adding a component with this annotation, then using it.
 *
 * <p>The component's type is the key's type: {@code Optional<T>} for a key that may be absent, a
 * {@code List} or {@code Map} for a collection (empty by default), a record whose components are
 * keys for a nested block, {@link BackendConfig} for the backend's block. A value comes from the
 * flag if one was given, else from the file, else from the environment variable, else from the
 * default; a list's flags add to the file's list instead of replacing it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Key {
  /** The key's name: in the config file, in {@code check-config}'s output and in the docs. */
  String value();

  /** What the key does, in one sentence for the docs and {@code --help} (code in backquotes). */
  String help();

  /** The command-line flag's names, short name first; none when empty. */
  String[] flag() default {};

  /** The flag's parameter in {@code --help}; derived from the type when empty. */
  String label() default "";

  /** The environment variable read when neither a flag nor the file gives the key. */
  String env() default "";

  /** Whether the config file may set the key; a key it may not set is named there with a hint. */
  boolean inFile() default true;

  /** The default, written as in the config file; none when empty. */
  String byDefault() default "";

  /** What an absent optional key means, as {@code check-config} and the docs say it. */
  String none() default "";

  /** What a zero count or duration means. */
  String zero() default "";

  /** The schemes a URL key accepts. */
  String[] schemes() default {};

  /** Checks of the value beyond its type; on a map, of each value. */
  Check[] check() default {};

  /** What an empty (or blank) text value means. */
  Blank blank() default Blank.CHECKED;

  /** How messages name the key when its name alone reads badly, e.g. "the worker id". */
  String noun() default "";

  /**
   * Whether the flag giving zero counts as not given, so that the file decides: the reference
   * worker reads {@code --max-concurrent-tasks 0} so.
   */
  boolean zeroFlagDefers() default false;

  /** A key of ours: the reference worker does not have it. */
  boolean ours() default false;

  /** What an empty (or blank) text value means. */
  enum Blank {
    /** It is checked as any other value. */
    CHECKED,
    /** It counts as not given, so the next source in precedence decides. */
    ABSENT,
    /** It clears the key: the key is absent even though it has a default. */
    NONE
  }
}
