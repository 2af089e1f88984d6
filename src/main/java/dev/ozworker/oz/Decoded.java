package dev.ozworker.oz;

/** What {@link OzCodec#decode} made of a text frame. */
public sealed interface Decoded {
  /** A well-formed message. */
  record Message(OzMessage message) implements Decoded {}

  /** A well-formed frame of a type this worker does not know; ignored, as the protocol says. */
  record Ignored(String type) implements Decoded {
    /** One line for the log, the type shortened and escaped. */
    public String describe() {
      return "frame of unknown type " + Printable.of(type) + " ignored";
    }
  }

  /** A frame that cannot be read; the error says why without quoting its values. */
  record Malformed(DecodeError error) implements Decoded {}
}
