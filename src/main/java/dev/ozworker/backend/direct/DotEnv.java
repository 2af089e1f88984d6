package dev.ozworker.backend.direct;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads the dotenv file a {@code setup_command} writes to {@code OZ_ENVIRONMENT_FILE}, with the
 * syntax the reference worker accepts: {@code KEY=value} or {@code KEY: value}, an optional {@code
 * export} prefix, {@code #} comments (whole lines, or after whitespace in an unquoted value),
 * single-quoted values taken literally, double-quoted values with {@code \n \r \t \" \\ \$}
 * escapes, both kinds of quotes spanning lines, and {@code $NAME} / {@code ${NAME}} expanded in
 * unquoted and double-quoted values from earlier lines, else from {@code lookup}. Pure: no I/O.
 *
 * <p>Problems name the line and what is wrong, never a value: the file may hold secrets.
 */
final class DotEnv {
  private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");

  private final String text;
  private final Function<String, String> lookup;
  private final Map<String, String> values = new LinkedHashMap<>();
  private int pos;
  private int line = 1;

  private DotEnv(String text, Function<String, String> lookup) {
    this.text = text.startsWith("\uFEFF") ? text.substring(1) : text;
    this.lookup = lookup;
  }

  /** Thrown for text that is not dotenv. */
  static final class InvalidDotEnvException extends Exception {
    InvalidDotEnvException(int line, String problem) {
      super("line " + line + ": " + problem);
    }
  }

  /**
   * The variables in {@code text}, in order, a later line replacing an earlier one.
   *
   * @param lookup value of a variable not set earlier in the file; null when unset
   */
  static Map<String, String> parse(String text, Function<String, String> lookup)
      throws InvalidDotEnvException {
    DotEnv parser = new DotEnv(text, lookup);
    parser.parseAll();
    return parser.values;
  }

  private void parseAll() throws InvalidDotEnvException {
    while (skipBlank()) {
      if (peek() == '#') {
        skipToLineEnd();
        continue;
      }
      String key = readKey();
      skipSpaces();
      if (pos >= text.length() || (peek() != '=' && peek() != ':')) {
        throw new InvalidDotEnvException(line, "expected = after " + key);
      }
      pos++;
      skipSpaces();
      values.put(key, readValue(key));
    }
  }

  private String readKey() throws InvalidDotEnvException {
    String key = word();
    if (key.equals("export") && pos < text.length() && (peek() == ' ' || peek() == '\t')) {
      skipSpaces();
      key = word();
    }
    if (!KEY.matcher(key).matches()) {
      throw new InvalidDotEnvException(line, "not a variable name: use letters, digits and _");
    }
    return key;
  }

  private String word() {
    int start = pos;
    while (pos < text.length() && "=: \t\r\n".indexOf(peek()) < 0) {
      pos++;
    }
    return text.substring(start, pos);
  }

  private String readValue(String key) throws InvalidDotEnvException {
    if (pos < text.length() && (peek() == '\'' || peek() == '"')) {
      char quote = text.charAt(pos++);
      int startLine = line;
      StringBuilder value = new StringBuilder();
      while (true) {
        if (pos >= text.length()) {
          throw new InvalidDotEnvException(startLine, "the value of " + key + " has no end quote");
        }
        char c = text.charAt(pos++);
        if (c == quote) {
          break;
        }
        if (c == '\n') {
          line++;
        }
        if (quote == '"' && c == '\\' && pos < text.length()) {
          value.append(escape(text.charAt(pos++)));
        } else if (quote == '"' && c == '$') {
          pos = expand(value, pos);
        } else {
          value.append(c);
        }
      }
      skipSpaces();
      if (pos < text.length() && peek() != '#' && peek() != '\n' && peek() != '\r') {
        throw new InvalidDotEnvException(line, "unexpected text after the quoted value of " + key);
      }
      skipToLineEnd();
      return value.toString();
    }
    int start = pos;
    skipToLineEnd();
    String raw = text.substring(start, pos);
    int comment = raw.indexOf(" #");
    int tabComment = raw.indexOf("\t#");
    if (tabComment >= 0 && (comment < 0 || tabComment < comment)) {
      comment = tabComment;
    }
    raw = (comment >= 0 ? raw.substring(0, comment) : raw).strip();
    StringBuilder value = new StringBuilder();
    for (int i = 0; i < raw.length(); ) {
      char c = raw.charAt(i++);
      if (c == '$') {
        i = expandIn(raw, value, i);
      } else {
        value.append(c);
      }
    }
    return value.toString();
  }

  private int expand(StringBuilder out, int from) {
    return expandIn(text, out, from);
  }

  /**
   * Expands the variable whose name starts at {@code from} (after the $); returns the new index.
   */
  private int expandIn(String source, StringBuilder out, int from) {
    boolean braced = from < source.length() && source.charAt(from) == '{';
    int start = braced ? from + 1 : from;
    int end = start;
    while (end < source.length()
        && (Character.isLetterOrDigit(source.charAt(end)) || source.charAt(end) == '_')) {
      end++;
    }
    if (end == start || (braced && (end >= source.length() || source.charAt(end) != '}'))) {
      out.append('$');
      return from;
    }
    String name = source.substring(start, end);
    String value = values.containsKey(name) ? values.get(name) : lookup.apply(name);
    out.append(value == null ? "" : value);
    return braced ? end + 1 : end;
  }

  private static String escape(char c) {
    return switch (c) {
      case 'n' -> "\n";
      case 'r' -> "\r";
      case 't' -> "\t";
      case '"', '\\', '$' -> String.valueOf(c);
      default -> "\\" + c;
    };
  }

  /** Skips whitespace and line ends; false at the end of the text. */
  private boolean skipBlank() {
    while (pos < text.length() && Character.isWhitespace(peek())) {
      if (peek() == '\n') {
        line++;
      }
      pos++;
    }
    return pos < text.length();
  }

  private void skipSpaces() {
    while (pos < text.length() && (peek() == ' ' || peek() == '\t')) {
      pos++;
    }
  }

  private void skipToLineEnd() {
    while (pos < text.length() && peek() != '\n') {
      pos++;
    }
  }

  private char peek() {
    return text.charAt(pos);
  }
}
