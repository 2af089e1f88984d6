package dev.ozworker.config;

import java.util.Arrays;
import java.util.Optional;

/** How the worker writes its log lines ({@code --log-format}, config {@code log_format}). */
public enum LogFormat {
  /** One human-readable line per event. */
  text,
  /** One JSON object per line, for log shippers; the task id is in its {@code mdc}. */
  json;

  /** The format named {@code name}, as written in the config file or on the command line. */
  public static Optional<LogFormat> named(String name) {
    return Arrays.stream(values()).filter(f -> f.name().equals(name)).findFirst();
  }
}
