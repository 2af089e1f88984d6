package dev.ozworker.embedded;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Optional;

/**
 * One string field of an object's {@code metadata}, read from the object's JSON token by token and
 * no further than the field: the embedded API server compares the resourceVersion of every status
 * write with the stored one, and parsing the whole objects for it cost more than the write itself.
 */
final class JsonMetadata {
  private static final JsonFactory JSON = new JsonFactory();

  private JsonMetadata() {}

  /**
   * {@code metadata.<field>} when it is a string; empty otherwise, or when the JSON is unreadable.
   */
  static Optional<String> field(byte[] json, String field) {
    try (JsonParser parser = JSON.createParser(json)) {
      return field(parser, field);
    } catch (IOException unreadable) {
      return Optional.empty();
    }
  }

  /** The same, of JSON held as a string. */
  static Optional<String> field(String json, String field) {
    try (JsonParser parser = JSON.createParser(json)) {
      return field(parser, field);
    } catch (IOException unreadable) {
      return Optional.empty();
    }
  }

  private static Optional<String> field(JsonParser parser, String field) throws IOException {
    if (parser.nextToken() != JsonToken.START_OBJECT) {
      return Optional.empty();
    }
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      JsonToken value = parser.nextToken();
      if (name.equals("metadata") && value == JsonToken.START_OBJECT) {
        return fieldOfObject(parser, field);
      }
      parser.skipChildren();
    }
    return Optional.empty();
  }

  private static Optional<String> fieldOfObject(JsonParser parser, String field)
      throws IOException {
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      JsonToken value = parser.nextToken();
      if (name.equals(field)) {
        return value == JsonToken.VALUE_STRING ? Optional.of(parser.getText()) : Optional.empty();
      }
      parser.skipChildren();
    }
    return Optional.empty();
  }
}
