package dev.ozworker.task;

import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON text as Go's {@code encoding/json} writes a map of raw values: compact, keys in byte order,
 * and {@code <}, {@code >}, {@code &}, U+2028, U+2029 escaped. The agent receives the same bytes
 * from this worker as from the reference.
 */
final class GoJson {
  private static final ObjectMapper MAPPER =
      new ObjectMapper(new JsonFactoryBuilder().characterEscapes(new HtmlSafeEscapes()).build());

  /** UTF-8 byte order, which is code point order (not Java's UTF-16 order). */
  private static final Comparator<String> BYTE_ORDER =
      (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
          int ca = a.codePointAt(i);
          int cb = b.codePointAt(j);
          if (ca != cb) {
            return Integer.compare(ca, cb);
          }
          i += Character.charCount(ca);
          j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
      };

  private GoJson() {}

  static String sortedObject(Map<String, JsonNode> members) {
    Map<String, JsonNode> sorted = new TreeMap<>(BYTE_ORDER);
    sorted.putAll(members);
    try {
      return MAPPER.writeValueAsString(sorted);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree cannot fail to serialise", e);
    }
  }

  /** Go's escapes: lower-case hex, HTML-significant characters and line separators escaped. */
  private static final class HtmlSafeEscapes extends CharacterEscapes {
    private final int[] escapes = CharacterEscapes.standardAsciiEscapesForJSON();

    HtmlSafeEscapes() {
      for (int c = 0; c < 0x20; c++) {
        if ("\b\t\n\f\r".indexOf(c) < 0) {
          escapes[c] = CharacterEscapes.ESCAPE_CUSTOM;
        }
      }
      escapes['<'] = CharacterEscapes.ESCAPE_CUSTOM;
      escapes['>'] = CharacterEscapes.ESCAPE_CUSTOM;
      escapes['&'] = CharacterEscapes.ESCAPE_CUSTOM;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return escapes;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      boolean custom =
          ch < 0x80 ? escapes[ch] == CharacterEscapes.ESCAPE_CUSTOM : ch == 0x2028 || ch == 0x2029;
      return custom ? new SerializedString(String.format("\\u%04x", ch)) : null;
    }
  }
}
