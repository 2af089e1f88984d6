package dev.ozworker.observe;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Masks secret values in text that is about to be stored or logged: agent output, failure messages.
 * Longer values are masked first, so a secret that contains another is masked whole.
 *
 * <p>Values shorter than {@link #MIN_SECRET_LENGTH} are left alone: env_vars also carry flags such
 * as {@code 1} or {@code yes}, and masking every {@code 1} in the output would make it unreadable
 * (an exit status 1 would read "exit status [REDACTED]") while hiding nothing a guess would not
 * find.
 */
public final class Redactor {
  /** What a secret value is replaced with. */
  public static final String MASK = "[REDACTED]";

  /** Shortest value that is masked. */
  public static final int MIN_SECRET_LENGTH = 4;

  private final List<String> secrets;

  public Redactor(Collection<String> secrets) {
    this.secrets =
        secrets.stream()
            .filter(secret -> secret.length() >= MIN_SECRET_LENGTH)
            .distinct()
            .sorted(Comparator.comparingInt(String::length).reversed())
            .toList();
  }

  /** A redactor that masks nothing. */
  public static Redactor none() {
    return new Redactor(List.of());
  }

  /** This redactor's secrets and {@code more}: for values learnt while a run goes on. */
  public Redactor with(Collection<String> more) {
    List<String> all = new java.util.ArrayList<>(secrets);
    all.addAll(more);
    return new Redactor(all);
  }

  /**
   * How many characters at the end of {@code text} may be the start of a secret that spans lines:
   * the longest end of the text that begins such a secret without completing it. Text that ends a
   * line is written out only up to there, so that a PEM key or a multi-line JSON credential printed
   * line by line is still masked whole once its last line arrives.
   */
  public int partialAtEnd(String text) {
    int longest = 0;
    for (String secret : secrets) {
      if (secret.indexOf('\n') < 0) {
        continue;
      }
      for (int start = Math.max(0, text.length() - secret.length() + 1);
          start < text.length() - longest;
          start++) {
        int length = text.length() - start;
        if (text.charAt(start) == secret.charAt(0)
            && secret.regionMatches(0, text, start, length)) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }

  /** Length of the longest secret: text shorter than this may still be the start of one. */
  public int longestSecretLength() {
    return secrets.isEmpty() ? 0 : secrets.get(0).length();
  }

  public String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String redacted = text;
    for (String secret : secrets) {
      redacted = redacted.replace(secret, MASK);
    }
    return redacted;
  }

  /** The redacted text's last {@code maxChars} characters; redacting first means no cut secret. */
  public String redactTail(String text, int maxChars) {
    String redacted = redact(text);
    if (redacted == null || redacted.length() <= maxChars) {
      return redacted;
    }
    return redacted.substring(redacted.length() - maxChars);
  }
}
