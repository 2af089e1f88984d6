package dev.ozworker.oz;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ozworker.oz.DecodeError.Kind;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Reads and writes the frames of the Oz protocol: {@code {"type": "...", "data": {...}}}, one per
 * text frame. Reading follows the reference: unknown fields and types are ignored, keys match
 * case-insensitively (exact match preferred), JSON types must match. Reading never throws: a frame
 * it cannot read comes back as {@link Decoded.Malformed} with an error that is safe to log. Writing
 * leaves absent fields, empty lists and an {@code exit_code} of 0 off the wire.
 */
public final class OzCodec {
  /** Frames longer than this are rejected unread. */
  public static final int DEFAULT_MAX_FRAME_CHARS = 4 << 20;

  private final ObjectMapper mapper = WireJson.mapper();
  private final int maxFrameChars;

  public OzCodec() {
    this(DEFAULT_MAX_FRAME_CHARS);
  }

  public OzCodec(int maxFrameChars) {
    this.maxFrameChars = maxFrameChars;
  }

  /** Reads one text frame. */
  public Decoded decode(String frame) {
    if (frame == null) {
      return malformed(Kind.NOT_AN_OBJECT, null, null, "the frame is empty");
    }
    if (frame.length() > maxFrameChars) {
      return malformed(
          Kind.TOO_LARGE,
          null,
          null,
          "the frame has " + frame.length() + " chars, more than the limit of " + maxFrameChars);
    }
    JsonNode root;
    try {
      root = mapper.readTree(frame);
    } catch (StreamConstraintsException e) {
      return malformed(
          Kind.TOO_DEEP, null, null, "the frame exceeds a JSON limit" + where(e.getLocation()));
    } catch (JsonProcessingException e) {
      return malformed(Kind.NOT_JSON, null, null, "the frame is not JSON" + where(e.getLocation()));
    }
    if (root == null || !root.isObject()) {
      return malformed(Kind.NOT_AN_OBJECT, null, null, "the frame is not a JSON object");
    }
    JsonNode type = field(root, "type");
    if (type == null || !type.isTextual()) {
      return malformed(Kind.NO_TYPE, null, null, "\"type\" is missing or not a string");
    }
    Optional<MessageType> known = MessageType.fromWire(type.textValue());
    if (known.isEmpty()) {
      return new Decoded.Ignored(type.textValue());
    }
    return decodeData(known.get(), field(root, "data"));
  }

  private Decoded decodeData(MessageType type, JsonNode data) {
    String typeName = type.wireName();
    if (data == null || data.isNull()) {
      return malformed(Kind.MISSING_FIELD, typeName, null, "\"data\" is missing");
    }
    if (!data.isObject()) {
      return malformed(Kind.WRONG_TYPE, typeName, null, "\"data\" is not an object");
    }
    JsonNode idNode = field(data, "task_id");
    String taskId = idNode != null && idNode.isTextual() ? idNode.textValue() : null;
    OzMessage message;
    try {
      message = mapper.treeToValue(data, type.messageClass());
    } catch (JsonMappingException e) {
      return malformed(Kind.WRONG_TYPE, typeName, taskId, pathOf(e) + " has the wrong type");
    } catch (JsonProcessingException | RuntimeException e) {
      // The input is hostile by assumption: whatever a binding step throws, the caller gets an
      // answer it can log and reject, and the link keeps serving.
      return malformed(Kind.WRONG_TYPE, typeName, taskId, "\"data\" cannot be read");
    }
    return missingField(message)
        .map(field -> malformed(Kind.MISSING_FIELD, typeName, taskId, field + " is missing"))
        .orElseGet(() -> new Decoded.Message(message));
  }

  /** Writes one text frame. */
  public String encode(OzMessage message) {
    try {
      return mapper.writeValueAsString(new Frame(MessageType.of(message).wireName(), message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a " + MessageType.of(message).wireName(), e);
    }
  }

  private record Frame(String type, OzMessage data) {}

  /** The field the protocol requires and the message lacks, if any. */
  private static Optional<String> missingField(OzMessage message) {
    if (isBlank(message.taskId())) {
      return Optional.of("data.task_id");
    }
    return switch (message) {
      case TaskAssignment assignment when assignment.task() == null -> Optional.of("data.task");
      case TaskClaimed claimed when isBlank(claimed.workerId()) -> Optional.of("data.worker_id");
      default -> Optional.empty();
    };
  }

  private static boolean isBlank(String text) {
    return text == null || text.isBlank();
  }

  /** The value of {@code name} in {@code object}: an exact match first, then any case. */
  private static JsonNode field(JsonNode object, String name) {
    JsonNode exact = object.get(name);
    if (exact != null) {
      return exact;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (entry.getKey().equalsIgnoreCase(name)) {
        return entry.getValue();
      }
    }
    return null;
  }

  private static String pathOf(JsonMappingException e) {
    String path =
        e.getPath().stream()
            .map(
                ref ->
                    ref.getFieldName() != null
                        ? "." + Printable.of(ref.getFieldName()).replace("\"", "")
                        : "[" + ref.getIndex() + "]")
            .collect(Collectors.joining());
    return "data" + path;
  }

  private static String where(JsonLocation location) {
    return location == null || location.getLineNr() < 0
        ? ""
        : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }

  private static Decoded malformed(Kind kind, String type, String taskId, String detail) {
    return new Decoded.Malformed(
        new DecodeError(kind, Optional.ofNullable(type), Optional.ofNullable(taskId), detail));
  }
}
