package dev.ozworker.config;

/** Log levels accepted by {@code --log-level}, as the reference names them. */
public enum LogLevel {
  debug,
  info,
  warn,
  error
}
