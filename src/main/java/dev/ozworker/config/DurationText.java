package dev.ozworker.config;

import java.time.Duration;

/**
 * A duration checked when the configuration is read but passed on as it was written: a value handed
 * to the agent's command line ({@code --idle-on-complete 90m}) reaches it as the reference worker
 * passes it, not respelled ({@code 1h30m}).
 *
 * @param text the duration as written, e.g. {@code 90m}
 * @param duration what it denotes
 */
public record DurationText(String text, Duration duration) {
  @Override
  public String toString() {
    return text;
  }
}
