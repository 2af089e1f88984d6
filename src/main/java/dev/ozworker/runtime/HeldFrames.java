package dev.ozworker.runtime;

import dev.ozworker.oz.DecodeError;
import dev.ozworker.oz.LinkListener;
import dev.ozworker.oz.ServerMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What arrives on the link to Oz while the worker is still being assembled: held, then handed to
 * the intake in arrival order once it can store what it takes. The link dials while the cluster,
 * the controller and the backend start, so a worker is connected sooner, yet nothing is claimed
 * before the worker could store and run it. A worker that cannot be assembled closes the link and
 * never answers what was held: an unclaimed assignment goes to another worker.
 */
final class HeldFrames implements LinkListener {
  private final List<Consumer<LinkListener>> held = new ArrayList<>();
  private LinkListener intake;

  /** Hands over what was held, in order, then passes everything on as it arrives. */
  synchronized void handTo(LinkListener listener) {
    held.forEach(event -> event.accept(listener));
    held.clear();
    intake = listener;
  }

  /** Events held and not handed over yet. */
  synchronized int size() {
    return held.size();
  }

  @Override
  public synchronized void connected() {
    pass(LinkListener::connected);
  }

  @Override
  public synchronized void received(ServerMessage message) {
    pass(listener -> listener.received(message));
  }

  @Override
  public synchronized void malformed(DecodeError error) {
    pass(listener -> listener.malformed(error));
  }

  private void pass(Consumer<LinkListener> event) {
    if (intake == null) {
      held.add(event);
    } else {
      event.accept(intake);
    }
  }
}
