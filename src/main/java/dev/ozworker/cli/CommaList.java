package dev.ozworker.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The values of one occurrence of a list flag ({@code -e A=1,B=2}, {@code -v a:/x,b:/y}), split as
 * the reference worker's flag parser (Kong) splits them, so that its command lines mean the same
 * here: on every comma; {@code \,} is a comma inside a value; a backslash before anything else, or
 * at the very end, stays; quotes are ordinary characters; empty values between commas are kept (and
 * then refused as values), a trailing empty one is dropped.
 */
final class CommaList {
  private CommaList() {}

  static List<String> split(String text) {
    List<String> values = new ArrayList<>();
    StringBuilder value = new StringBuilder();
    boolean escaped = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (escaped) {
        if (c != ',') {
          value.append('\\');
        }
        value.append(c);
        escaped = false;
      } else if (c == '\\' && i < text.length() - 1) {
        escaped = true;
      } else if (c == ',') {
        values.add(value.toString());
        value.setLength(0);
      } else {
        value.append(c);
      }
    }
    if (!value.isEmpty()) {
      values.add(value.toString());
    }
    return values;
  }
}
