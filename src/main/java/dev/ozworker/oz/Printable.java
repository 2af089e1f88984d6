package dev.ozworker.oz;

/** Shortens and escapes text from the server before it goes into a log line. */
public final class Printable {
  static final int MAX_CHARS = 80;

  private Printable() {}

  /** {@code text} quoted, with control characters escaped and cut to {@value #MAX_CHARS} chars. */
  public static String of(String text) {
    StringBuilder out = new StringBuilder("\"");
    int end = Math.min(text.length(), MAX_CHARS);
    for (int i = 0; i < end; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
    if (text.length() > MAX_CHARS) {
      out.append("… (").append(text.length()).append(" chars)");
    }
    return out.toString();
  }
}
