package dev.ozworker.oz;

/**
 * Hears what arrives on the link to Oz. Called from the link's threads, one frame at a time in
 * arrival order; implementations hand the work over and return quickly.
 */
public interface LinkListener {

  /** A connection is up and the replies queued while there was none have been written. */
  void connected();

  /** A frame that decoded into a message for this worker. */
  void received(ServerMessage message);

  /** A frame that could not be read; already logged by the link. */
  default void malformed(DecodeError error) {}
}
