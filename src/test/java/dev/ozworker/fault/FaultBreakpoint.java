package dev.ozworker.fault;

import com.sun.jdi.Bootstrap;
import com.sun.jdi.IncompatibleThreadStateException;
import com.sun.jdi.Method;
import com.sun.jdi.ObjectReference;
import com.sun.jdi.ReferenceType;
import com.sun.jdi.StackFrame;
import com.sun.jdi.StringReference;
import com.sun.jdi.ThreadReference;
import com.sun.jdi.VMDisconnectedException;
import com.sun.jdi.Value;
import com.sun.jdi.VirtualMachine;
import com.sun.jdi.connect.Connector;
import com.sun.jdi.connect.IllegalConnectorArgumentsException;
import com.sun.jdi.connect.ListeningConnector;
import com.sun.jdi.event.BreakpointEvent;
import com.sun.jdi.event.ClassPrepareEvent;
import com.sun.jdi.event.Event;
import com.sun.jdi.event.EventSet;
import com.sun.jdi.event.VMDisconnectEvent;
import com.sun.jdi.request.BreakpointRequest;
import com.sun.jdi.request.ClassPrepareRequest;
import com.sun.jdi.request.EventRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Holds the worker jar at one call of {@code java.nio.file.Files.move}, chosen by what it moves, so
 * that a test can kill the process exactly there and look at what it left. The worker writes each
 * of its records by moving a hidden file over the record, and moves a made workspace into place, so
 * each step of its work ends with such a call. The JVM runs with the JDWP agent, which connects to
 * this listener on loopback when the JVM starts and waits until the breakpoint is set; at every
 * call the whole JVM stops while the call is compared, and the matching call leaves it stopped
 * until the process is killed. No system call tracing: the JVM runs at full speed between calls,
 * and the call is found by the thread that makes it, whatever OS thread carries it.
 */
final class FaultBreakpoint implements AutoCloseable {
  private static final String FILES = "java.nio.file.Files";
  private static final String MOVE_SIGNATURE =
      "(Ljava/nio/file/Path;Ljava/nio/file/Path;[Ljava/nio/file/CopyOption;)Ljava/nio/file/Path;";

  /**
   * One call of {@code Files.move}.
   *
   * @param caller the calling method, as {@code <class name>.<method name>}
   * @param text the caller's first {@code String} argument (what a record writer writes), else ""
   */
  record Move(String caller, String source, String target, String text) {}

  private final ListeningConnector connector;
  private final Map<String, Connector.Argument> arguments;
  private final String address;
  private final Predicate<Move> stopAt;
  private final Set<ReferenceType> watched = ConcurrentHashMap.newKeySet();
  private final CompletableFuture<Move> stopped = new CompletableFuture<>();
  private final List<Move> passed = new CopyOnWriteArrayList<>();
  private volatile VirtualMachine vm;

  private FaultBreakpoint(
      ListeningConnector connector, Map<String, Connector.Argument> arguments, Predicate<Move> at)
      throws IOException {
    this.connector = connector;
    this.arguments = arguments;
    this.stopAt = at;
    try {
      String listening = connector.startListening(arguments);
      this.address = "127.0.0.1:" + listening.substring(listening.lastIndexOf(':') + 1);
    } catch (IllegalConnectorArgumentsException e) {
      throw new IllegalStateException(e);
    }
    Thread.ofPlatform().daemon().name("fault-breakpoint").start(this::follow);
  }

  /**
   * Listens on a free loopback port for the next worker JVM, to hold it at the first call of {@code
   * Files.move} that {@code at} accepts.
   */
  static FaultBreakpoint listen(Predicate<Move> at) throws IOException {
    ListeningConnector connector =
        Bootstrap.virtualMachineManager().listeningConnectors().stream()
            .filter(candidate -> candidate.name().equals("com.sun.jdi.SocketListen"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("the JDK has no JDI socket listener"));
    Map<String, Connector.Argument> arguments = connector.defaultArguments();
    arguments.get("localAddress").setValue("127.0.0.1");
    arguments.get("port").setValue("0");
    arguments.get("timeout").setValue(String.valueOf(FaultWorker.START.toMillis()));
    return new FaultBreakpoint(connector, arguments, at);
  }

  /** The options that make a JVM connect here at its start and wait for the breakpoint. */
  List<String> jvmOptions() {
    return List.of("-agentlib:jdwp=transport=dt_socket,server=n,suspend=y,address=" + address);
  }

  /** Waits until the JVM stopped at the chosen call; the calls it passed are named on failure. */
  Move awaitStop(Duration within) throws InterruptedException {
    try {
      return stopped.get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "the worker made no such call within " + within + "; it moved only " + passed);
    } catch (ExecutionException e) {
      throw new IllegalStateException("following the worker failed; it moved " + passed, e);
    }
  }

  private void follow() {
    try {
      vm = connector.accept(arguments);
      connector.stopListening(arguments);
      ClassPrepareRequest prepared = vm.eventRequestManager().createClassPrepareRequest();
      prepared.addClassFilter(FILES);
      prepared.setSuspendPolicy(EventRequest.SUSPEND_EVENT_THREAD);
      prepared.enable();
      vm.classesByName(FILES).forEach(this::watch);
      while (!stopped.isDone()) {
        EventSet events = vm.eventQueue().remove();
        boolean hold = false;
        for (Event event : events) {
          switch (event) {
            case ClassPrepareEvent loaded -> watch(loaded.referenceType());
            case BreakpointEvent hit -> hold |= stopsAt(hit.thread());
            case VMDisconnectEvent gone -> throw new VMDisconnectedException();
            default -> {}
          }
        }
        if (!hold) {
          events.resume();
        }
      }
    } catch (VMDisconnectedException e) {
      stopped.completeExceptionally(
          new IllegalStateException("the worker JVM ended before it made the call"));
    } catch (Exception e) {
      stopped.completeExceptionally(e);
    }
  }

  /** Sets the breakpoint once the class is loaded (before the JVM runs any code of it). */
  private void watch(ReferenceType files) {
    if (!watched.add(files)) {
      return;
    }
    Method move =
        files.methodsByName("move", MOVE_SIGNATURE).stream()
            .findFirst()
            .orElseThrow(() -> new IllegalStateException(FILES + " has no move" + MOVE_SIGNATURE));
    BreakpointRequest request = vm.eventRequestManager().createBreakpointRequest(move.location());
    // The whole JVM stops: nothing changes on disk or on the API server before the kill.
    request.setSuspendPolicy(EventRequest.SUSPEND_ALL);
    request.enable();
  }

  /** Whether the call {@code thread} is making is the one to stop at; false lets it go on. */
  private boolean stopsAt(ThreadReference thread) throws Exception {
    StackFrame moving = thread.frame(0);
    List<Value> paths = moving.getArgumentValues();
    StackFrame calling = thread.frame(1);
    Method caller = calling.location().method();
    String text =
        calling.getArgumentValues().stream()
            .filter(StringReference.class::isInstance)
            .map(value -> ((StringReference) value).value())
            .findFirst()
            .orElse("");
    Move move =
        new Move(
            caller.declaringType().name() + "." + caller.name(),
            describe(thread, paths.get(0)),
            describe(thread, paths.get(1)),
            text);
    if (stopAt.test(move)) {
      stopped.complete(move);
      return true;
    }
    passed.add(move);
    return false;
  }

  /** The path's {@code toString()}, run in the stopped thread alone. */
  private static String describe(ThreadReference thread, Value path) throws Exception {
    if (!(path instanceof ObjectReference object)) {
      return String.valueOf(path);
    }
    Method toString =
        object.referenceType().methodsByName("toString", "()Ljava/lang/String;").getFirst();
    try {
      Value text =
          object.invokeMethod(thread, toString, List.of(), ObjectReference.INVOKE_SINGLE_THREADED);
      return ((StringReference) text).value();
    } catch (IncompatibleThreadStateException e) {
      throw new IllegalStateException("thread " + thread.name() + " is not stopped", e);
    }
  }

  /** Lets go of the JVM if it still runs (a killed one has gone already) and stops listening. */
  @Override
  public void close() {
    VirtualMachine connected = vm;
    if (connected != null) {
      try {
        connected.dispose();
      } catch (VMDisconnectedException e) {
        // killed: nothing to let go of
      }
    }
    try {
      connector.stopListening(arguments);
    } catch (Exception e) {
      // stopped already when the JVM connected
    }
  }
}
