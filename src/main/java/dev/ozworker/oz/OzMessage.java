package dev.ozworker.oz;

/**
 * A message of the Oz worker protocol: the {@code data} of one text frame {@code {"type": ...,
 * "data": {...}}}. {@link OzCodec} reads and writes them; {@link MessageType} names them on the
 * wire.
 */
public sealed interface OzMessage permits ServerMessage, WorkerMessage {
  /** The Oz task the message is about. */
  String taskId();
}
