package dev.ozworker.config;

import java.util.regex.Pattern;

/** An environment variable the operator configured for every task, its value already resolved. */
public record EnvVar(String name, String value) {
  private static final Pattern NAME = Pattern.compile("[^=\\s]+");

  /** A name is non-empty and free of whitespace and '='. */
  public static boolean isValidName(String name) {
    return NAME.matcher(name).matches();
  }
}
