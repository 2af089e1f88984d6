package dev.ozworker.config;

/**
 * The worker's Oz API key. {@link #toString()} never shows it, so a config printed or logged by
 * mistake does not leak it; only the link reads {@link #value()}.
 */
public record ApiKey(String value) {
  @Override
  public String toString() {
    return "ApiKey[redacted]";
  }
}
